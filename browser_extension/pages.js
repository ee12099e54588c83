// What the popup and the settings page share: translated labels, enabling a site, who is connected.
"use strict";

var pages = (function () {
  document.querySelectorAll("[data-i18n]").forEach(function (node) {
    node.textContent = chrome.i18n.getMessage(node.dataset.i18n);
  });
  document.documentElement.lang = chrome.i18n.getUILanguage();

  var api = { activeTabId: undefined };

  // Must run in answer to a click: the browser asks the user to allow the site.
  api.enableSite = function (site) {
    return chrome.permissions.request({ origins: [site + "/*"] }).then(function (granted) {
      if (!granted) { throw new Error(chrome.i18n.getMessage("permissionRefused")); }
      return astitray.getSettings().then(function (settings) {
        var sites = settings.sites.filter(function (known) { return known !== site; }).concat([site]);
        return chrome.storage.local.set({ sites: sites });
      }).then(function () { return api.activeTabId; });
    });
  };

  api.disableSite = function (site) {
    return astitray.getSettings().then(function (settings) {
      return chrome.storage.local.set({ sites: settings.sites.filter(function (known) { return known !== site; }) });
    }).then(function () {
      return chrome.permissions.remove({ origins: [site + "/*"] }).catch(function () { return false; });
    });
  };

  api.showWho = function (node, settings) {
    if (!settings.server || !settings.token) {
      node.textContent = chrome.i18n.getMessage("notSetUp");
      return Promise.resolve(null);
    }
    return astitray.rpc(settings, "accounts.whoami", []).then(function (me) {
      var phone = me.extension ? chrome.i18n.getMessage("phone", [me.extension]) : chrome.i18n.getMessage("noPhone");
      node.textContent = chrome.i18n.getMessage("connectedAs", [me.full_name || me.username, phone]);
      return me;
    }, function (error) {
      node.textContent = error.message;
      throw error;
    });
  };

  return api;
}());
