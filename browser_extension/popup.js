// The toolbar button's popup: turn clickable numbers on or off for the current site.
"use strict";

(function () {
  var site = "";
  var toggle = document.getElementById("toggle");
  var message = document.getElementById("message");

  function render(settings) {
    var enabled = settings.sites.indexOf(site) >= 0;
    document.getElementById("site").textContent = site || chrome.i18n.getMessage("noSite");
    toggle.textContent = chrome.i18n.getMessage(enabled ? "disableSite" : "enableSite");
    toggle.disabled = !site;
    toggle.dataset.enabled = enabled ? "yes" : "no";
  }

  // Asked in the click itself: browsers grant a site's permission only in answer to the user.
  toggle.addEventListener("click", function () {
    var enabled = toggle.dataset.enabled === "yes";
    var change = enabled
      ? pages.disableSite(site)
      : pages.enableSite(site).then(function (tabId) {
        return tabId === undefined ? undefined : chrome.scripting.insertCSS({ target: { tabId: tabId }, files: ["content.css"] }).then(function () {
          return chrome.scripting.executeScript({ target: { tabId: tabId }, files: ["content.js"] });
        });
      });
    change.then(function () {
      message.textContent = chrome.i18n.getMessage(enabled ? "siteDisabled" : "siteEnabled");
      return astitray.getSettings().then(render);
    }, function (error) {
      message.textContent = error.message || String(error);
    });
  });

  document.getElementById("settings").addEventListener("click", function (event) {
    event.preventDefault();
    chrome.runtime.openOptionsPage();
  });

  // The toolbar's popup is about the active tab; opened as a page of its own (popup.html?tab=ID, from
  // the keyboard or by the tests) it is about that tab.
  var asked = Number(new URLSearchParams(window.location.search).get("tab"));
  var tabs = asked ? chrome.tabs.get(asked).then(function (tab) { return [tab]; }) : chrome.tabs.query({ active: true, currentWindow: true });
  Promise.all([tabs, astitray.getSettings()]).then(function (both) {
    var tab = both[0][0];
    site = tab ? astitray.siteOf(tab.url || "") : "";
    pages.activeTabId = tab ? tab.id : undefined;
    render(both[1]);
    pages.showWho(document.getElementById("who"), both[1]);
  });
}());
