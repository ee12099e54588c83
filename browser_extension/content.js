// On a site the user enabled: phone numbers in the page become clickable, and tel:/callto: links
// dial through Astitray. Only a real click (event.isTrusted) asks for a call: the page's own
// scripts can neither click for the user nor reach the extension.
(function () {
  "use strict";
  if (window.astitrayNumbers) { return; }  // injected twice (enabled, then registered): once is enough
  window.astitrayNumbers = true;

  // A run of digits with the separators people write (+44 (0)20 7946 0958, 01.42.68.53.00, 555-0199):
  // 7 to 15 digits. Dates (2026-12-07, 07/12/2026) and long references are left alone; what is
  // dialed is the server's to say (dialer.dial reads the text as dialer.normalize does).
  var CANDIDATE = /(?:\+|\b00)?\(?\d[\d\s().\-\/\u00a0]{5,22}\d\b/g;
  var DATE = /^\d{4}-\d{2}-\d{2}$|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$/;
  var SKIP = { A: 1, SCRIPT: 1, STYLE: 1, TEXTAREA: 1, INPUT: 1, SELECT: 1, OPTION: 1, BUTTON: 1, CODE: 1, PRE: 1, NOSCRIPT: 1, TEMPLATE: 1 };
  var MAX_NODES = 5000;

  function isNumber(text) {
    var digits = text.replace(/\D/g, "");
    // A bare run of digits is a phone number only when it starts as one (0, 00, +): not an invoice's.
    var written = /^[+(0]/.test(text) || /[\s().\-\/\u00a0]/.test(text);
    return written && digits.length >= 7 && digits.length <= 15 && !DATE.test(text.trim());
  }

  function skipped(node) {
    for (var parent = node.parentNode; parent && parent !== document.body; parent = parent.parentNode) {
      if (SKIP[parent.nodeName] || parent.isContentEditable || (parent.classList && parent.classList.contains("astitray-number"))) { return true; }
    }
    return false;
  }

  function linkify(root) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var found = [];
    for (var node = walker.nextNode(); node && found.length < MAX_NODES; node = walker.nextNode()) {
      if ((node.nodeValue.match(/\d/g) || []).length >= 7 && !skipped(node)) { found.push(node); }
    }
    found.forEach(wrap);
  }

  function wrap(node) {
    var text = node.nodeValue;
    var pieces = [];
    var last = 0;
    text.replace(CANDIDATE, function (match, offset) {
      var trimmed = match.replace(/[\s\u00a0(.\-\/]+$/, "");
      if (isNumber(trimmed)) {
        pieces.push(document.createTextNode(text.slice(last, offset)));
        var link = document.createElement("a");
        link.className = "astitray-number";
        link.href = "#";
        link.title = chrome.i18n.getMessage("callWith");
        link.textContent = trimmed;
        link.dataset.astitray = trimmed;
        pieces.push(link);
        last = offset + trimmed.length;
      }
      return match;
    });
    if (!pieces.length) { return; }
    pieces.push(document.createTextNode(text.slice(last)));
    var fragment = document.createDocumentFragment();
    pieces.forEach(function (piece) { fragment.appendChild(piece); });
    node.parentNode.replaceChild(fragment, node);
  }

  var toast = null;
  function show(message, bad) {
    if (!toast) {
      toast = document.createElement("div");
      toast.className = "astitray-toast";
      toast.setAttribute("role", "status");
      document.body.appendChild(toast);
    }
    toast.textContent = message;
    toast.classList.toggle("astitray-bad", Boolean(bad));
    toast.hidden = false;
    window.clearTimeout(show.timer);
    show.timer = window.setTimeout(function () { toast.hidden = true; }, 8000);
  }

  function dial(text) {
    show(chrome.i18n.getMessage("asking"));
    chrome.runtime.sendMessage({ type: "dial", text: text }).then(function (answer) {
      if (!answer || answer.error) {
        show(chrome.i18n.getMessage("notCalled") + " " + ((answer && answer.error) || ""), true);
      } else {
        show(chrome.i18n.getMessage("calling", [answer.number]));
      }
    }, function () {
      show(chrome.i18n.getMessage("notCalled"), true);
    });
  }

  document.addEventListener("click", function (event) {
    if (!event.isTrusted || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) { return; }
    var link = event.target.closest && event.target.closest("a");
    if (!link) { return; }
    var text = "";
    if (link.classList.contains("astitray-number")) {
      text = link.dataset.astitray;
    } else if (/^(tel|callto):/i.test(link.getAttribute("href") || "")) {
      text = decodeURIComponent(link.getAttribute("href").replace(/^(tel|callto):(\/\/)?/i, ""));
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    dial(text);
  }, true);

  linkify(document.body);
  var pending = [];
  new MutationObserver(function (records) {
    records.forEach(function (record) {
      record.addedNodes.forEach(function (node) {
        if (node.nodeType === 1 && !node.classList.contains("astitray-toast")) { pending.push(node); }
      });
    });
    if (pending.length && !linkify.scheduled) {
      linkify.scheduled = window.setTimeout(function () {
        linkify.scheduled = 0;
        pending.splice(0).forEach(function (node) { if (node.isConnected) { linkify(node); } });
      }, 300);
    }
  }).observe(document.body, { childList: true, subtree: true });
}());
