// What the extension's pages and its background share: the settings and the API call.
// Settings live in chrome.storage.local (never synced): the server's address and an API token,
// never a password. Only the background and the extension's own pages call the server.
"use strict";

var astitray = (function () {
  var AUTH_FAILED = -32098;

  // An administrator's policy may set the server's address (managed storage, managed_schema.json):
  // it then wins over the one typed in the settings.
  function managedServer() {
    if (!chrome.storage.managed) { return Promise.resolve(""); }
    return chrome.storage.managed.get({ server: "" }).then(function (policy) {
      return typeof policy.server === "string" ? policy.server : "";
    }, function () { return ""; });
  }

  function getSettings() {
    return Promise.all([chrome.storage.local.get({ server: "", token: "", sites: [] }), managedServer()]).then(function (both) {
      var settings = both[0];
      settings.fromPolicy = Boolean(both[1]);
      if (both[1]) { settings.server = both[1]; }
      return settings;
    });
  }

  function serverOrigin(address) {
    var url = new URL(address);
    if (url.protocol !== "https:" && url.protocol !== "http:") { throw new Error("protocol"); }
    return url.origin;
  }

  function siteOf(address) {
    try {
      var url = new URL(address);
      return url.protocol === "https:" || url.protocol === "http:" ? url.origin : "";
    } catch (error) {
      return "";
    }
  }

  function rpc(settings, method, params) {
    if (!settings.server || !settings.token) {
      return Promise.reject({ code: 0, message: chrome.i18n.getMessage("notSetUp") });
    }
    return fetch(serverOrigin(settings.server) + "/rpc/", {
      method: "POST",
      credentials: "omit",
      cache: "no-store",
      headers: { "Content-Type": "application/json", "Authorization": "Bearer " + settings.token },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: method, params: params })
    }).then(function (response) {
      return response.json().catch(function () { throw { code: 0, message: chrome.i18n.getMessage("unreachable") }; });
    }, function () {
      throw { code: 0, message: chrome.i18n.getMessage("unreachable") };
    }).then(function (body) {
      if (body.error) {
        throw { code: body.error.code, message: body.error.code === AUTH_FAILED ? chrome.i18n.getMessage("badToken") : body.error.message };
      }
      return body.result;
    });
  }

  return { getSettings: getSettings, serverOrigin: serverOrigin, siteOf: siteOf, rpc: rpc, AUTH_FAILED: AUTH_FAILED };
}());
