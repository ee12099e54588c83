// The background: dials for the content scripts and the context menu, and keeps the content
// script registered on the sites the user enabled (and only there).
"use strict";

if (typeof importScripts === "function" && typeof astitray === "undefined") {
  importScripts("common.js");  // Chromium's service worker; Firefox's background page lists it
}

var MAX_TEXT = 4096;
var SCRIPT_ID = "astitray-numbers";

function matchesOf(sites) {
  return sites.map(function (site) { return site + "/*"; });
}

// The content script on exactly the enabled sites (registered again whenever the list changes).
function syncScripts() {
  return astitray.getSettings().then(function (settings) {
    return chrome.scripting.getRegisteredContentScripts({ ids: [SCRIPT_ID] }).then(function (found) {
      var gone = found.length ? chrome.scripting.unregisterContentScripts({ ids: [SCRIPT_ID] }) : Promise.resolve();
      return gone.then(function () {
        if (!settings.sites.length) { return undefined; }
        return chrome.scripting.registerContentScripts([{
          id: SCRIPT_ID,
          matches: matchesOf(settings.sites),
          js: ["content.js"],
          css: ["content.css"],
          runAt: "document_idle",
          persistAcrossSessions: true
        }]);
      });
    });
  });
}

function dial(text) {
  return astitray.getSettings().then(function (settings) {
    return astitray.rpc(settings, "dialer.dial", [text]);
  });
}

// Answers what it showed (the notification's id, title and message).
function notify(title, message) {
  return chrome.notifications.create({ type: "basic", iconUrl: "icon-128.png", title: title, message: message })
    .then(function (id) { return { id: id, title: title, message: message }; });
}

chrome.runtime.onInstalled.addListener(function () {
  chrome.contextMenus.create({ id: "astitray-call", title: chrome.i18n.getMessage("callWith"), contexts: ["selection"] });
  syncScripts();
});

chrome.storage.onChanged.addListener(function (changes) {
  if (changes.sites) { syncScripts(); }
});

// The context menu: what the user selected and chose to call (the browser hands the text over as
// info.selectionText, with the tab). A named listener, so that the end-to-end test can hand it what
// the browser hands it; it answers the notification it showed (null for another item or no text).
function onMenuClicked(info, tab) {
  if (info.menuItemId !== "astitray-call" || !info.selectionText) { return Promise.resolve(null); }
  return dial(info.selectionText.slice(0, MAX_TEXT)).then(function (call) {
    return notify("Astitray", chrome.i18n.getMessage("calling", [call.number]));
  }, function (error) {
    return notify(chrome.i18n.getMessage("notCalled"), error.message);
  });
}

chrome.contextMenus.onClicked.addListener(onMenuClicked);

// Only this extension's own content scripts, on a site the user enabled, may ask for a call; pages
// have no way in (no externally_connectable, no onMessageExternal).
chrome.runtime.onMessage.addListener(function (message, sender, reply) {
  if (sender.id !== chrome.runtime.id || !sender.tab || !message || message.type !== "dial"
      || typeof message.text !== "string" || !message.text || message.text.length > MAX_TEXT) {
    return false;
  }
  astitray.getSettings().then(function (settings) {
    if (settings.sites.indexOf(astitray.siteOf(sender.url || sender.tab.url)) < 0) {
      reply({ error: chrome.i18n.getMessage("siteNotEnabled") });
      return;
    }
    dial(message.text).then(function (call) {
      reply({ number: call.number, status: call.status });
    }, function (error) {
      reply({ error: error.message });
    });
  });
  return true;  // the answer comes later
});
