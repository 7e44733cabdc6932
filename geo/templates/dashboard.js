// Each gap zooms the map to itself: the map page is ours (same origin), so reach its Leaflet map.
function leafletMap() {
  const frame = document.getElementById("map");
  const win = frame.contentWindow;
  const el = win && win.document.querySelector(".folium-map");
  return el ? win[el.id] : null;
}
document.querySelectorAll("#gaps button").forEach(function (button) {
  button.addEventListener("click", function () {
    const b = JSON.parse(button.dataset.bounds);
    const map = leafletMap();
    if (map) { map.fitBounds([[b[1], b[0]], [b[3], b[2]]], {maxZoom: 17}); }
  });
});
