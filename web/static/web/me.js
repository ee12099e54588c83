// The user page (/me/): search as you type, dial, follow the call, recent calls, phone links.
// Plain JavaScript, no build step. Every action is a JSON-RPC call of the API's own procedures
// through /me/rpc/ (the session's user, the page's CSRF token).
(function () {
  "use strict";

  var script = document.currentScript;
  var RPC = script.dataset.rpc;
  var texts = JSON.parse(document.getElementById("texts").textContent);
  var csrf = document.querySelector("meta[name=csrf-token]").content;
  var FINAL = ["answered", "no_answer", "busy", "failed", "denied", "unknown"];
  var AUTH_FAILED = -32098;
  var nextId = 1;

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_all, key) { return values[key]; });
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; } else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function rpc(method, params) {
    return fetch(RPC, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method: method, params: params })
    }).then(function (response) {
      if (response.status === 403) { throw { code: AUTH_FAILED, message: texts.error }; }
      return response.json();
    }, function () {
      throw { code: 0, message: texts.error };
    }).then(function (body) {
      if (body.error) {
        if (body.error.code === AUTH_FAILED) { window.location.assign(script.dataset.login); }
        throw body.error;
      }
      return body.result;
    });
  }

  // --- The call's status --------------------------------------------------------------

  var statusBox = document.getElementById("status");

  function say(message, kind) {
    statusBox.hidden = false;
    statusBox.className = "status " + (kind || "");
    statusBox.textContent = message;
  }

  function follow(call, done) {
    say(fmt(texts.calling, { number: call.number }) + " · " + texts.queued, "busy");
    var started = Date.now();
    function poll() {
      rpc("dialer.call_status", [call.call_id]).then(function (now) {
        if (FINAL.indexOf(now.status) >= 0 || Date.now() - started > 120000) {
          say(now.number + " · " + (texts[now.status] || now.status), now.status === "answered" ? "ok" : "bad");
          if (done) { done(); }
        } else {
          window.setTimeout(poll, 1000);
        }
      }, function (error) { say(error.message, "bad"); });
    }
    if (FINAL.indexOf(call.status) >= 0) { say(call.number + " · " + (texts[call.status] || call.status)); if (done) { done(); } return; }
    window.setTimeout(poll, 1000);
  }

  function dial(text, done) {
    say(texts.queued, "busy");
    return rpc("dialer.dial", [text]).then(function (call) { follow(call, done); }, function (error) {
      say(error.message, "bad");
    });
  }

  // --- A clicked phone link (/me/call/?uri=…): ask first, as the tray does ------------------

  var confirmBox = document.getElementById("confirm");
  if (confirmBox) {
    var link = confirmBox.dataset.link;
    var callButton = document.getElementById("confirm-call");
    var preview = document.getElementById("preview");
    rpc("dialer.normalize", [link]).then(function (answer) {
      document.getElementById("question").textContent = fmt(texts.ask, { number: answer.display || answer.number });
      preview.textContent = fmt(texts.will_dial, { number: answer.number });
      if (answer.allowed === false) { preview.textContent = texts.not_allowed; return; }
      callButton.disabled = false;
      callButton.focus();
      window.setTimeout(function () { callButton.disabled = true; preview.textContent = texts.expired; }, 60000);
    }, function (error) { preview.textContent = error.message; });
    callButton.addEventListener("click", function () {
      callButton.disabled = true;
      dial(link);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { window.location.assign(script.dataset.home); }
    });
    return;
  }

  // --- The page: search as you type, dial, recent calls -------------------------------------

  var box = document.getElementById("q");
  var previewLine = document.getElementById("preview");
  var results = document.getElementById("results");
  var history = document.getElementById("history");
  var choices = [];  // what Enter may dial: [{text, node}], the typed text first when it holds a number
  var selected = -1;
  var typedNumber = null;
  var timer = null;
  var asked = 0;

  function select(index) {
    choices.forEach(function (choice, i) { choice.node.classList.toggle("selected", i === index); });
    selected = index;
    if (choices[index]) { choices[index].node.scrollIntoView({ block: "nearest" }); }
  }

  function numberButton(number, label) {
    return el("button", { type: "button", class: "number", "data-number": number.number, text: (label ? label + " " : "") + number.number });
  }

  function showResults(contacts) {
    results.textContent = "";
    choices = typedNumber ? [{ text: typedNumber, node: previewLine }] : [];
    if (!contacts.length && box.value.trim() && !typedNumber) {
      results.appendChild(el("li", { class: "empty", text: texts.no_results }));
    }
    contacts.forEach(function (contact) {
      var presence = contact.presence ? texts["presence_" + contact.presence] : "";
      var item = el("li", { class: "contact" }, [
        el("span", { class: "name", text: contact.name }),
        presence ? el("span", { class: "presence " + contact.presence, text: presence }) : null,
        el("span", { class: "company", text: [contact.company, contact.department].filter(Boolean).join(" · ") })
      ]);
      contact.numbers.forEach(function (number) {
        var button = numberButton(number, number.label);
        item.appendChild(button);
        choices.push({ text: number.number, node: button });
      });
      results.appendChild(item);
    });
    select(choices.length ? 0 : -1);
  }

  function refresh() {
    var text = box.value;
    var mine = ++asked;
    if (!text.trim()) { previewLine.textContent = ""; typedNumber = null; showResults([]); return; }
    var hasDigits = /\d/.test(text);
    var normalized = hasDigits ? rpc("dialer.normalize", [text]).then(function (answer) { return answer; }, function (error) { return { error: error }; }) : Promise.resolve(null);
    var found = rpc("phonebook.search", [text.slice(0, 200), 10]).catch(function () { return []; });
    Promise.all([normalized, found]).then(function (both) {
      if (mine !== asked) { return; }  // a newer keystroke is on its way
      var answer = both[0];
      typedNumber = null;
      previewLine.textContent = "";
      if (answer && !answer.error) {
        previewLine.textContent = answer.allowed === false ? texts.not_allowed : fmt(texts.will_dial, { number: answer.number });
        if (answer.allowed !== false) { typedNumber = text; }
      } else if (answer && answer.error && answer.error.code !== AUTH_FAILED) {
        previewLine.textContent = answer.error.message;
      }
      showResults(both[1]);
    });
  }

  function clear() {
    box.value = "";
    asked++;
    previewLine.textContent = "";
    typedNumber = null;
    showResults([]);
  }

  function loadHistory() {
    rpc("dialer.history", [10]).then(function (calls) {
      history.textContent = "";
      calls.forEach(function (call) {
        var missed = call.direction === "in" && call.status === "missed";
        history.appendChild(el("li", { class: missed ? "missed" : "" }, [
          el("span", { class: "who", text: (call.name ? call.name + " · " : "") + call.number }),
          el("span", { class: "what", text: [call.direction ? texts[call.direction] : "", missed ? texts.missed : (texts[call.status] || call.status), call.created.replace("T", " ").replace("Z", " UTC")].filter(Boolean).join(" · ") }),
          el("button", { type: "button", class: "number secondary", "data-number": call.number, text: texts.call_back })
        ]));
      });
    }, function () {});
  }

  box.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 150);
  });
  box.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" && choices.length) {
      event.preventDefault();
      select(Math.min(selected + 1, choices.length - 1));
    } else if (event.key === "ArrowUp" && choices.length) {
      event.preventDefault();
      select(Math.max(selected - 1, 0));
    } else if (event.key === "Escape") {
      event.preventDefault();
      clear();
    }
  });
  document.getElementById("dial-form").addEventListener("submit", function (event) {
    event.preventDefault();
    window.clearTimeout(timer);
    var choice = choices[selected];
    if (choice) { dial(choice.text, loadHistory); }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-number]");
    if (button) { dial(button.dataset.number, loadHistory); }
  });
  document.addEventListener("keydown", function (event) {
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
    if (event.key === "/" && !typing) {
      event.preventDefault();
      box.focus();
      box.select();
    } else if (event.key === "Escape" && !typing) {
      clear();
      box.focus();
    }
  });

  // --- Incoming calls (events.wait): shown in the page, and as a notification when allowed ------

  var incomingBox = document.getElementById("incoming");
  var notifyButton = document.getElementById("notify");
  var shown = {};  // call_id -> the browser's notification of that call, while it rings

  function caller(event) {
    if (!event.name) { return event.number; }
    return event.name + (event.company ? " (" + event.company + ")" : "");
  }

  function notifyBrowser(event, title) {
    var Notice = window.Notification;
    if (!Notice || Notice.permission !== "granted") { return; }
    try {
      var notice = new Notice(title, { body: event.name ? event.number : "", tag: "astitray-" + event.call_id, lang: document.documentElement.lang });
      notice.onclick = function () { window.focus(); notice.close(); };
      shown[event.call_id] = notice;
    } catch (error) { /* a browser that shows notifications only from a service worker */ }
  }

  function onEvent(event) {
    if (event.type === "call") { return; }  // the page follows its own calls with dialer.call_status
    var who = caller(event);
    var line = event.type === "incoming" ? fmt(texts.incoming, { name: who })
      : event.type === "missed" ? fmt(texts.incoming_missed, { name: who })
        : fmt(event.by_me ? texts.incoming_answered : texts.incoming_answered_elsewhere, { name: who });
    incomingBox.hidden = false;
    incomingBox.className = "incoming " + event.type;
    incomingBox.textContent = "";
    incomingBox.appendChild(el("span", { class: "line", text: line }));
    if (event.name && event.number) { incomingBox.appendChild(el("span", { class: "number-text", text: event.number })); }
    if (event.type === "missed" && event.number) {
      incomingBox.appendChild(el("button", { type: "button", class: "number secondary", "data-number": event.number, text: texts.call_back }));
    }
    if (event.type === "incoming") {
      notifyBrowser(event, line);
    } else {
      if (shown[event.call_id]) { shown[event.call_id].close(); delete shown[event.call_id]; }
      loadHistory();
    }
  }

  function watch(cursor, pause) {
    rpc("events.wait", [cursor, 25]).then(function (answer) {
      answer.events.forEach(onEvent);
      watch(answer.cursor, 0);
    }, function (error) {
      // The server restarting or unreachable: again a little later, from the same cursor (the
      // server keeps the events); a cursor it no longer takes (-32602): from now on.
      var next = Math.min((pause || 2000) * 2, 60000);
      window.setTimeout(function () { watch(error.code === -32602 ? "" : cursor, next); }, pause || 2000);
    });
  }

  function notifyChoice() {
    var Notice = window.Notification;
    if (!Notice) { return; }
    notifyButton.hidden = Notice.permission === "granted";
    notifyButton.disabled = Notice.permission === "denied";
    notifyButton.textContent = Notice.permission === "denied" ? texts.notify_blocked : texts.notify_ask;
  }
  if (window.Notification) {
    notifyChoice();
    notifyButton.addEventListener("click", function () {
      var asked = window.Notification.requestPermission(notifyChoice);
      if (asked && asked.then) { asked.then(notifyChoice); }
    });
  }

  var handlerButton = document.getElementById("tel-handler");
  if (navigator.registerProtocolHandler) {
    handlerButton.hidden = false;
    handlerButton.addEventListener("click", function () {
      try {
        navigator.registerProtocolHandler("tel", window.location.origin + script.dataset.call + "?uri=%s");
        handlerButton.textContent = texts.handler_set;
      } catch (error) {
        handlerButton.textContent = texts.handler_failed;
      }
    });
  }

  loadHistory();
  window.setInterval(loadHistory, 30000);
  watch(script.dataset.cursor || "", 0);
  if (box.value) { refresh(); }
}());
