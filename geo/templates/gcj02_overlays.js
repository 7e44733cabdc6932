// Draw our WGS-84 overlays at their GCJ-02 positions while an Amap base layer is shown.
// Amap tiles are in GCJ-02 (about 600 m off near Xiaozhang); the formula is the public one,
// the same as geo/ingest/chinacrs.py (wgs84_to_gcj02).
(function () {
  var A = 6378245.0, EE = 0.00669342162296594323;
  function outOfChina(lon, lat) {
    return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
  }
  function offset(lon, lat) {
    var x = lon - 105.0, y = lat - 35.0, s = Math.sqrt(Math.abs(x));
    var px = Math.PI * x, py = Math.PI * y;
    var sx = 2 * Math.sin(6 * px) + 2 * Math.sin(2 * px);
    var dlatm = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * s +
      (sx + 2 * Math.sin(py) + 4 * Math.sin(py / 3) + 16 * Math.sin(py / 12) + 32 * Math.sin(py / 30)) * (20 / 3);
    var dlonm = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * s +
      (sx + 2 * Math.sin(px) + 4 * Math.sin(px / 3) + 15 * Math.sin(px / 12) + 30 * Math.sin(px / 30)) * (20 / 3);
    var rl = lat * Math.PI / 180, sl = Math.sin(rl), magic = 1 - EE * sl * sl, sm = Math.sqrt(magic);
    return [dlonm * 180 / (A / sm * Math.cos(rl) * Math.PI),
            dlatm * 180 / ((A * (1 - EE)) / (magic * sm) * Math.PI)];
  }
  function toGcj(ll) {
    if (outOfChina(ll.lng, ll.lat)) { return L.latLng(ll.lat, ll.lng); }
    var d = offset(ll.lng, ll.lat);
    return L.latLng(ll.lat + d[1], ll.lng + d[0]);
  }
  function each(v, f) { return Array.isArray(v) ? v.map(function (x) { return each(x, f); }) : f(v); }
  function shift(map, gcj) {
    map.eachLayer(function (layer) {
      if (layer instanceof L.TileLayer) { return; }
      if (layer.getLatLngs && layer.setLatLngs) {
        if (!layer._geoWgs) { layer._geoWgs = layer.getLatLngs(); }
        layer.setLatLngs(gcj ? each(layer._geoWgs, toGcj) : layer._geoWgs);
      } else if (layer.getLatLng && layer.setLatLng) {
        if (!layer._geoWgs) { layer._geoWgs = layer.getLatLng(); }
        layer.setLatLng(gcj ? toGcj(layer._geoWgs) : layer._geoWgs);
      }
    });
  }
  window.geoFollowGcj02Basemap = function (map, amapName) {
    map.on("baselayerchange", function (e) { map._geoGcj = e.name === amapName; shift(map, map._geoGcj); });
    map.on("overlayadd", function () { if (map._geoGcj) { shift(map, true); } });
  };
})();
