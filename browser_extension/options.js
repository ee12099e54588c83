// The settings page: the server's address and an API token (never a password), "test connection",
// and the sites where numbers are clickable.
"use strict";

(function () {
  var server = document.getElementById("server");
  var token = document.getElementById("token");
  var result = document.getElementById("result");
  var list = document.getElementById("sites");

  function renderSites(sites) {
    list.textContent = "";
    if (!sites.length) {
      list.appendChild(Object.assign(document.createElement("li"), { textContent: chrome.i18n.getMessage("noSites") }));
    }
    sites.forEach(function (site) {
      var item = document.createElement("li");
      item.textContent = site + " ";
      var remove = Object.assign(document.createElement("button"), { type: "button", textContent: chrome.i18n.getMessage("disableSite") });
      remove.addEventListener("click", function () {
        pages.disableSite(site).then(function () { return astitray.getSettings(); }).then(function (settings) { renderSites(settings.sites); });
      });
      item.appendChild(remove);
      list.appendChild(item);
    });
  }

  document.getElementById("form").addEventListener("submit", function (event) {
    event.preventDefault();
    var origin;
    try {
      origin = astitray.serverOrigin(server.value.trim());
    } catch (error) {
      result.textContent = chrome.i18n.getMessage("badServer");
      return;
    }
    var value = token.value.trim();
    if (!/^astk_[A-Za-z0-9_-]{43}$/.test(value)) {
      result.textContent = chrome.i18n.getMessage("badTokenFormat");
      return;
    }
    // The server's address is asked for in the click (the browser's question), before any await.
    chrome.permissions.request({ origins: [origin + "/*"] }).then(function (granted) {
      if (!granted) { throw new Error(chrome.i18n.getMessage("permissionRefused")); }
      return chrome.storage.local.set({ server: origin, token: value });
    }).then(function () {
      result.textContent = chrome.i18n.getMessage("testing");
      return astitray.getSettings();
    }).then(function (settings) {
      return pages.showWho(result, settings);
    }).catch(function (error) {
      result.textContent = error.message || String(error);
    });
  });

  astitray.getSettings().then(function (settings) {
    server.value = settings.server;
    server.readOnly = settings.fromPolicy;  // set by the administrator's policy
    token.value = settings.token;
    renderSites(settings.sites);
    if (settings.server && settings.token) { pages.showWho(result, settings).catch(function () {}); }
  });
}());
