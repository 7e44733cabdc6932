// The patrol page's service worker: keeps the page (Leaflet and its script are inside it),
// its manifest and icons, so that after the first visit the page opens with no network.
// Everything else (the API) goes to the network untouched: fixes wait in the page's
// IndexedDB, not here. VERSION changes with the page, so a new page replaces the old cache.
"use strict";

var VERSION = "__VERSION__";
var CACHE = "geo-patrol-" + VERSION;
var SHELL = ["/patrol", "/patrol.webmanifest", "/patrol-icon.svg", "/patrol-icon-192.png", "/patrol-icon-512.png"];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE)
      .then(function (cache) { return cache.addAll(SHELL); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys()
      .then(function (names) {
        return Promise.all(names.filter(function (n) {
          return n.indexOf("geo-patrol-") === 0 && n !== CACHE;
        }).map(function (n) { return caches.delete(n); }));
      })
      .then(function () { return self.clients.claim(); })
  );
});

// The page and its files: the cached copy at once when there is one, refreshed from the
// network for the next visit; the network when there is none yet.
self.addEventListener("fetch", function (event) {
  var url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (SHELL.indexOf(url.pathname) < 0) return;
  event.respondWith(caches.open(CACHE).then(function (cache) {
    return cache.match(event.request).then(function (cached) {
      var fresh = fetch(event.request).then(function (response) {
        if (response.ok) cache.put(event.request, response.clone());
        return response;
      });
      if (!cached) {
        return fresh.catch(function () {
          return cache.match("/patrol").then(function (page) { return page || Response.error(); });
        });
      }
      fresh.catch(function () {});
      return cached;
    });
  }));
});
