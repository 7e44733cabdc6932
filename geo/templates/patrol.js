// The patrol page (/patrol): records the phone's positions while the page is open, keeps
// every fix in IndexedDB first and sends them to POST /api/v1/positions in batches, each with
// its own batch id, so a batch resent after a lost answer is stored once. Plain script, no
// build step; data comes as JSON (the texts block, the API's answers) and is shown as text.
(function () {
  "use strict";

  var PAGE = JSON.parse(document.getElementById("patrol-texts").textContent);
  var T = PAGE.texts;
  var BATCH_MAX = 200;        // fixes per batch (the server takes up to GEO_MAX_BATCH_FIXES)
  var SEND_AFTER_MS = 5000;   // a fix waits at most this long before it is sent
  var VIEW_EVERY_MS = 300000; // the squad's view (a week's coverage) at most every 5 min
  var BACKOFF_MAX_MS = 60000; // retries wait 2 s, 4 s, ... up to a minute
  var $ = function (id) { return document.getElementById(id); };

  // ---------------------------------------------------------------- IndexedDB
  // fixes: {seq, time, lon, lat, accuracy_m, squad, state: queued|sent|refused, batch}
  // batches: {id, squad, seqs, state: pending|sent|refused, reason}; meta: {key, value}
  var dbReady = new Promise(function (resolve, reject) {
    var open = indexedDB.open("geo-patrol", 1);
    open.onupgradeneeded = function () {
      var db = open.result;
      var fixes = db.createObjectStore("fixes", { keyPath: "seq", autoIncrement: true });
      fixes.createIndex("state", "state");
      db.createObjectStore("batches", { keyPath: "id" });
      db.createObjectStore("meta", { keyPath: "key" });
    };
    open.onsuccess = function () { resolve(open.result); };
    open.onerror = function () { reject(open.error); };
  });

  // Runs work(stores...) in one transaction; resolves with its result once committed.
  function transact(names, mode, work) {
    return dbReady.then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(names, mode);
        var result;
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
        Promise.resolve(work.apply(null, names.map(function (n) { return tx.objectStore(n); })))
          .then(function (value) { result = value; });
      });
    });
  }

  function request(req) {
    return new Promise(function (resolve, reject) {
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function getMeta(key) {
    return transact(["meta"], "readonly", function (meta) {
      return request(meta.get(key)).then(function (row) { return row ? row.value : undefined; });
    });
  }

  function setMeta(key, value) {
    return transact(["meta"], "readwrite", function (meta) { meta.put({ key: key, value: value }); });
  }

  // ---------------------------------------------------------------- state shown
  var view = null;      // the last /api/v1/patrol answer (kept in meta for offline visits)
  var device = null;    // this browser's device name: its batches join into one track
  var watchId = null;
  var lastFix = null;
  var blocked = null;   // why sending stopped until the user acts (sign-in), or null

  function say(text, isError) {
    var el = $("message");
    el.textContent = text || "";
    el.className = isError ? "error" : "muted";
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, name) { return String(values[name]); });
  }

  function refreshCounts() {
    return transact(["fixes"], "readonly", function (fixes) {
      var index = fixes.index("state");
      return Promise.all(["queued", "sent", "refused"].map(function (state) {
        return request(index.count(state));
      }));
    }).then(function (counts) {
      $("queued").textContent = counts[0];
      $("sent").textContent = counts[1];
      $("refused").textContent = counts[2];
    });
  }

  // ---------------------------------------------------------------- recording
  function onPosition(position) {
    var c = position.coords;
    var fix = {
      time: new Date(position.timestamp).toISOString(),
      lon: c.longitude,
      lat: c.latitude,
      accuracy_m: typeof c.accuracy === "number" ? c.accuracy : null,
      squad: view.squad,
      state: "queued",
      batch: null
    };
    if (lastFix && lastFix.time === fix.time && lastFix.lon === fix.lon && lastFix.lat === fix.lat) {
      return; // the same reading delivered twice
    }
    lastFix = fix;
    $("geo-error").hidden = true;
    transact(["fixes"], "readwrite", function (fixes) { fixes.add(fix); })
      .then(function () {
        drawMine(fix);
        refreshCounts();
        scheduleSend(SEND_AFTER_MS);
      })
      .catch(function (err) { say(String(err), true); });
  }

  // A failed reading (no satellites under a roof, a timeout) does not stop the watch: it is
  // shown until the next fix arrives.
  function onGeoError(err) {
    $("geo-error").textContent = T.patrol_geo_error + (err.message || "") + " (" + err.code + ")";
    $("geo-error").hidden = false;
  }

  function start() {
    if (!("geolocation" in navigator)) { say(T.patrol_no_geo, true); return; }
    if (!view) { say(T.patrol_first_visit, true); return; }
    watchId = navigator.geolocation.watchPosition(onPosition, onGeoError, {
      enableHighAccuracy: true, maximumAge: 0, timeout: 60000
    });
    setMeta("recording", true);
    showRecording(true);
  }

  function stop() {
    if (watchId !== null) navigator.geolocation.clearWatch(watchId);
    watchId = null;
    setMeta("recording", false);
    showRecording(false);
    viewWanted = true;
    scheduleSend(0);
  }

  function showRecording(on) {
    $("start").hidden = on;
    $("stop").hidden = !on;
    $("state").textContent = on ? T.patrol_recording : T.patrol_stopped;
    $("state").className = on ? "state on" : "state";
  }

  // ---------------------------------------------------------------- sending
  var sending = false;
  var timer = null;
  var dueAt = 0;
  var backoff = 0;
  var retryAfter = 0;    // the server's Retry-After, in ms
  var viewAt = 0;        // when the view was last asked for
  var viewWanted = false; // ask again once the queue is empty (the patrol was stopped)

  // Send in ``delay`` ms, unless a send is already due sooner (fixes arriving every second
  // must not keep putting it off).
  function scheduleSend(delay) {
    var at = Date.now() + delay;
    if (timer !== null && dueAt <= at) return;
    if (timer !== null) clearTimeout(timer);
    dueAt = at;
    timer = setTimeout(function () { timer = null; pump(); }, delay);
  }

  // The batch to send: the one sent before without an answer, else a new one made of the
  // oldest queued fixes of one squad (its id and fixes are stored before it is sent).
  function nextBatch() {
    return transact(["fixes", "batches", "meta"], "readwrite", function (fixes, batches, meta) {
      return request(batches.getAll()).then(function (all) {
        var pending = all.filter(function (b) { return b.state === "pending"; })[0];
        if (pending) return pending;
        return request(fixes.index("state").getAll("queued", BATCH_MAX)).then(function (queued) {
          queued = queued.filter(function (f) { return f.batch === null; });
          if (!queued.length) return null;
          var squad = queued[0].squad;
          queued = queued.filter(function (f) { return f.squad === squad; });
          return request(meta.get("batches")).then(function (row) {
            var n = (row ? row.value : 0) + 1;
            meta.put({ key: "batches", value: n });
            var batch = {
              id: device + "-" + Date.now().toString(36) + "-" + n,
              squad: squad,
              seqs: queued.map(function (f) { return f.seq; }),
              state: "pending"
            };
            queued.forEach(function (f) { f.batch = batch.id; fixes.put(f); });
            batches.put(batch);
            return batch;
          });
        });
      });
    });
  }

  function settle(batch, state, reason) {
    return transact(["fixes", "batches"], "readwrite", function (fixes, batches) {
      batch.state = state;
      batch.reason = reason || null;
      batches.put(batch);
      return Promise.all(batch.seqs.map(function (seq) {
        return request(fixes.get(seq)).then(function (fix) {
          if (fix) { fix.state = state; fixes.put(fix); }
        });
      }));
    });
  }

  function batchBody(batch) {
    return transact(["fixes"], "readonly", function (fixes) {
      return Promise.all(batch.seqs.map(function (seq) { return request(fixes.get(seq)); }));
    }).then(function (rows) {
      return JSON.stringify({
        batch_id: batch.id,
        squad: batch.squad,
        device: device,
        crs: "wgs84",
        fixes: rows.filter(Boolean).map(function (f) {
          return { time: f.time, lon: f.lon, lat: f.lat, accuracy_m: f.accuracy_m };
        })
      });
    });
  }

  // One batch to the server: "sent", "refused" (bad data: never sent again), "retry"
  // (network, busy server: the same batch again later) or "blocked" (sign in again).
  function post(batch) {
    return batchBody(batch).then(function (body) {
      return fetch("/api/v1/positions", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: body
      });
    }).then(function (response) {
      var status = response.status;
      if (status === 200 || status === 201) return settle(batch, "sent").then(function () { return "sent"; });
      if (status === 401 || status === 403) {
        return problem(response).then(function (detail) {
          blocked = status === 401 ? T.patrol_signin_again : T.patrol_blocked + detail;
          if (status === 401) showSignin(true);
          return "blocked";
        });
      }
      if (status === 408 || status === 429 || status >= 500) {
        retryAfter = 1000 * (parseInt(response.headers.get("Retry-After"), 10) || 0);
        return "retry";
      }
      return problem(response).then(function (detail) {
        return settle(batch, "refused", status + " " + detail).then(function () {
          say(T.patrol_refused + ": " + detail, true);
          return "refused";
        });
      });
    }, function () { return "retry"; });
  }

  function problem(response) {
    return response.json().then(function (p) { return p.detail || p.title || ""; },
      function () { return String(response.status); });
  }

  function pump() {
    if (sending || blocked) return;
    sending = true;
    var delivered = 0;
    function loop() {
      return nextBatch().then(function (batch) {
        if (!batch) return "done";
        return post(batch).then(function (outcome) {
          refreshCounts();
          if (outcome === "sent") delivered += 1;
          return outcome === "sent" || outcome === "refused" ? loop() : outcome;
        });
      });
    }
    loop().then(function (outcome) {
      sending = false;
      if (outcome === "retry") {
        backoff = Math.min(BACKOFF_MAX_MS, Math.max(2000, backoff * 2, retryAfter));
        retryAfter = 0;
        var again = fill(T.patrol_retry, { s: Math.round(backoff / 1000) });
        say(navigator.onLine ? again : T.patrol_offline + " " + again);
        scheduleSend(backoff);
      } else if (outcome === "blocked") {
        say(blocked, true);
      } else {
        backoff = 0;
        if (!blocked) say("");
        // Today's track and the week's gaps with the new fixes (not after every batch).
        if (viewWanted || (delivered && Date.now() - viewAt > VIEW_EVERY_MS)) {
          viewWanted = false;
          loadView();
        }
      }
    }, function (err) {
      sending = false;
      say(String(err), true);
      scheduleSend(BACKOFF_MAX_MS);
    });
  }

  // ---------------------------------------------------------------- sign-in
  function showSignin(on) {
    $("signin-panel").hidden = !on;
  }

  // The key goes to the sign-in route, which keeps it in an HttpOnly cookie: scripts never
  // store it. A QR link carries it after '#', which browsers never send to a server.
  function signIn(key) {
    var form = new URLSearchParams({ key: key, next: "/patrol", lang: PAGE.lang });
    return fetch("/signin", {
      method: "POST", body: form, credentials: "same-origin", redirect: "manual"
    }).then(function (response) {
      return response.type === "opaqueredirect" || response.status === 303;
    });
  }

  function afterSignin(ok) {
    if (!ok) {
      $("signin-error").textContent = T.patrol_signin_failed;
      $("signin-error").hidden = false;
      showSignin(true);
      return;
    }
    $("signin-error").hidden = true;
    showSignin(false);
    blocked = null;
    loadView().then(function () { scheduleSend(0); });
  }

  // ---------------------------------------------------------------- the view and the map
  var map = L.map("map", { attributionControl: false, zoomControl: true });
  map.setView([0, 0], 2);
  map.createPane("plan").style.zIndex = 450; // planned routes as thin dashes over the roads
  var layers = {
    villages: L.layerGroup().addTo(map),
    plan: L.layerGroup().addTo(map),
    gaps: L.layerGroup().addTo(map),
    track: L.layerGroup().addTo(map),
    mine: L.layerGroup().addTo(map),
    checkpoints: L.layerGroup().addTo(map)
  };
  var mine = L.polyline([], { color: "#0d47a1", weight: 4, interactive: false }).addTo(layers.mine);
  var here = null;

  function label(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  function name(props) {
    return (PAGE.lang === "en" && props.name_en) ? props.name_en : (props.name || props.code || "");
  }

  function drawView() {
    ["villages", "gaps", "track", "checkpoints"].forEach(function (k) { layers[k].clearLayers(); });
    L.geoJSON(view.villages, {
      style: { color: "#37474f", weight: 2, fillColor: "#c5e1a5", fillOpacity: 0.25 },
      onEachFeature: function (f, layer) { layer.bindTooltip(label(name(f.properties))); }
    }).addTo(layers.villages);
    L.geoJSON(view.road_gaps, { style: { color: "#e53935", weight: 6, opacity: 0.7 } })
      .addTo(layers.gaps);
    L.geoJSON(view.today_track, { style: { color: "#1e88e5", weight: 4 } }).addTo(layers.track);
    L.geoJSON(view.checkpoints, {
      pointToLayer: function (f, latlng) {
        var p = f.properties;
        var colour = p.visited ? "#2e7d32" : (p.mandatory ? "#c62828" : "#ef6c00");
        return L.circleMarker(latlng, { pane: "markerPane", radius: 7, color: "#fff", weight: 2, fillColor: colour, fillOpacity: 1 });
      },
      onEachFeature: function (f, layer) { layer.bindTooltip(label(name(f.properties))); }
    }).addTo(layers.checkpoints);
    var b = view.bounds;
    map.fitBounds([[b[1], b[0]], [b[3], b[2]]]);

    $("who").textContent = "· " + view.squad;
    $("day").textContent = view.day;
    $("week-name").textContent = view.week;
    var today = view.today;
    $("today-summary").textContent = today ? fill(T.patrol_minutes_km, {
      min: today.minutes.toFixed(1), km: today.distance_km.toFixed(2)
    }) + " · " + T[today.status] : "";
    var metres = view.road_gaps.features.reduce(function (sum, f) { return sum + f.properties.length_m; }, 0);
    $("gaps-summary").textContent = (metres / 1000).toFixed(2) + " " + T.km;
    var list = $("checkpoints");
    list.textContent = "";
    view.checkpoints.features.forEach(function (f) {
      if (f.properties.visited) return;
      var li = document.createElement("li");
      li.textContent = name(f.properties);
      if (f.properties.mandatory) li.className = "mandatory";
      list.appendChild(li);
    });
    var select = $("squad");
    if (view.squads.length > 1 && !select.options.length) {
      view.squads.forEach(function (s) { select.add(new Option(s, s, false, s === view.squad)); });
      select.hidden = $("squad-label").hidden = false;
    }
    $("apps-admin").hidden = $("register-form").hidden = view.role !== "admin";
    $("apps-patrol").hidden = view.role === "admin";
  }

  function drawMine(fix) {
    var point = [fix.lat, fix.lon];
    mine.addLatLng(point);
    if (here) here.setLatLng(point);
    else here = L.circleMarker(point, { pane: "markerPane", radius: 8, color: "#fff", weight: 3, fillColor: "#0d47a1", fillOpacity: 1 }).addTo(layers.mine);
  }

  function drawPlan(plan) {
    layers.plan.clearLayers();
    var list = $("plan-days");
    list.textContent = "";
    var squad = plan && plan.squads ? plan.squads.filter(function (s) { return s.squad === view.squad; })[0] : null;
    if (!squad || !squad.days.length) {
      list.appendChild(label(T.patrol_plan_none));
      return;
    }
    squad.days.forEach(function (day) {
      L.geoJSON(day.route, { pane: "plan", interactive: false, style: { color: "#6a1b9a", weight: 2, dashArray: "6 8" } }).addTo(layers.plan);
      var li = document.createElement("li");
      li.textContent = fill(T.patrol_day_n, { n: day.day }) + ": " +
        (day.length_m / 1000).toFixed(1) + " " + T.km + " · " + Math.round(day.minutes) + " " + T.minutes;
      list.appendChild(li);
    });
  }

  function squadQuery() {
    var chosen = $("squad").value || (view && view.squad) || "";
    return chosen ? "?squad=" + encodeURIComponent(chosen) : "";
  }

  function loadView() {
    viewAt = Date.now();
    return fetch("/api/v1/patrol" + squadQuery(), { credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 401) { showSignin(true); return null; }
        if (!response.ok) return problem(response).then(function (d) { say(d, true); return null; });
        return response.json();
      })
      .then(function (fresh) {
        if (!fresh) return;
        view = fresh;
        setMeta("view", view);
        drawView();
        return fetch("/api/v1/plan/" + encodeURIComponent(view.week) + "?squad=" + encodeURIComponent(view.squad),
          { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (plan) { setMeta("plan", plan); drawPlan(plan); });
      })
      .catch(function () {
        if (view) say(T.patrol_offline + " " + T.patrol_cached);
        else say(T.patrol_first_visit, true);
      });
  }

  // ---------------------------------------------------------------- upload
  function upload(event) {
    event.preventDefault();
    var file = $("track-file").files[0];
    if (!file || !view) return;
    var data = new FormData();
    data.append("file", file, file.name);
    var out = $("upload-result");
    out.className = "muted";
    out.textContent = "…";
    fetch("/api/v1/tracks?squad=" + encodeURIComponent(view.squad) + "&filename=" + encodeURIComponent(file.name),
      { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 200 || response.status === 201) {
          return response.json().then(function (record) {
            out.textContent = record.duplicate ? T.patrol_upload_again
              : fill(T.patrol_uploaded, { kept: record.report.fixes_kept });
            loadView();
          });
        }
        return problem(response).then(function (detail) {
          out.className = "error";
          out.textContent = T.patrol_upload_failed + detail;
        });
      }, function () {
        out.className = "error";
        out.textContent = T.patrol_upload_failed + T.patrol_offline;
      });
  }

  // ---------------------------------------------------------------- set-up codes (admins)
  // An admin registers a phone of the squad shown; its Traccar Client and OwnTracks codes are
  // drawn by the devices route (the id travels in the codes only: it is not kept here).
  function register(event) {
    event.preventDefault();
    fetch("/api/v1/devices", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ squad: view.squad, name: $("phone-name").value.trim() })
    }).then(function (response) {
      if (response.status !== 201) {
        return problem(response).then(function (detail) { throw new Error(detail); });
      }
      return response.json();
    }).then(function (made) {
      var base = "/api/v1/devices/" + encodeURIComponent(made.device_id) + "/setup?format=svg&app=";
      $("qr-traccar").src = base + "traccar";
      $("qr-owntracks").src = base + "owntracks";
      var link = made.setup.owntracks;
      if (link.indexOf("owntracks:///config?") === 0) $("owntracks-link").href = link;
      $("codes").hidden = false;
    }).catch(function (err) { say(T.patrol_register_failed + err.message, true); });
  }

  function drawToday() {
    var midnight = new Date();
    midnight.setHours(0, 0, 0, 0);
    return transact(["fixes"], "readonly", function (fixes) { return request(fixes.getAll()); })
      .then(function (all) {
        all.filter(function (f) { return new Date(f.time) >= midnight; }).forEach(drawMine);
      });
  }

  // ---------------------------------------------------------------- start-up
  function randomName() {
    var bytes = new Uint8Array(4);
    crypto.getRandomValues(bytes);
    return "web-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  $("start").addEventListener("click", start);
  $("stop").addEventListener("click", stop);
  $("upload-form").addEventListener("submit", upload);
  $("register-form").addEventListener("submit", register);
  $("squad").addEventListener("change", function () { loadView(); });
  $("signin-form").addEventListener("submit", function (event) {
    event.preventDefault();
    signIn($("key").value.trim()).then(afterSignin, function () { say(T.patrol_offline, true); });
  });
  window.addEventListener("online", function () { backoff = 0; say(""); scheduleSend(0); loadView(); });
  window.addEventListener("offline", function () { say(T.patrol_offline); });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/patrol-sw.js", { scope: "/patrol" }).catch(function () {});
  }

  var key = new URLSearchParams(location.hash.slice(1)).get("key");
  if (key) history.replaceState(null, "", location.pathname + location.search);

  Promise.all([getMeta("device"), getMeta("view"), getMeta("plan"), getMeta("recording")])
    .then(function (saved) {
      device = saved[0] || randomName();
      if (!saved[0]) setMeta("device", device);
      if (saved[1]) { view = saved[1]; drawView(); drawPlan(saved[2]); }
      if (saved[3] && view) start();
      refreshCounts();
      drawToday();
      if (key) return signIn(key).then(afterSignin, function () { say(T.patrol_offline, true); });
      return loadView().then(function () { scheduleSend(0); });
    })
    .catch(function (err) { say(String(err), true); });
})();
