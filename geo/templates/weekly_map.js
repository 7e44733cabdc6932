// The weekly map's overlays, drawn from the JSON block #geo-overlays (written by
// geo/outputs/weekly_map.py). Names and other text from the data are only ever set as text
// (textContent, text nodes): never parsed as HTML, never run as code.
(function () {
  function element(tag, text) {
    var el = document.createElement(tag);
    if (text !== undefined) { el.textContent = text; }
    return el;
  }
  function tooltip(text) { return element("div", text); }
  function popup(p) {
    var div = element("div");
    div.appendChild(element("b", p.title));
    p.lines.forEach(function (line) {
      div.appendChild(element("br"));
      div.appendChild(document.createTextNode(line));
    });
    if (p.items.length) {
      var list = element("ul");
      list.className = "geo-reasons";
      p.items.forEach(function (item) { list.appendChild(element("li", item)); });
      div.appendChild(list);
    }
    return div;
  }
  function draw(collection, group) {
    L.geoJSON(collection, {
      style: function (feature) { return feature.properties.style; },
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, feature.properties.style);
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        if (p.tooltip) { layer.bindTooltip(tooltip(p.tooltip), {sticky: true}); }
        if (p.popup) { layer.bindPopup(popup(p.popup), {maxWidth: 320}); }
      }
    }).addTo(group);
  }
  window.geoDrawOverlays = function (groups) {
    var data = JSON.parse(document.getElementById("geo-overlays").textContent);
    data.forEach(function (overlay) { draw(overlay.features, groups[overlay.group]); });
  };
})();
