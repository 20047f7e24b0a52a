// 在办隐患地图 / the open hazards on the map: Leaflet (vendored, served by the server) with the
// district's own tile server, the points from /sites/map.json. Labels arrive already in the
// reader's language; every text is set with textContent, never as HTML.
(function () {
  'use strict';
  var el = document.getElementById('map');
  if (!el || !window.L) { return; }
  var note = document.getElementById('map-note');
  el.textContent = '';
  var map = L.map(el, { scrollWheelZoom: false });
  L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: '' }).addTo(map);
  if (el.dataset.attribution) {
    // Plain text: the attribution control would take it as HTML.
    map.attributionControl.setPrefix(false);
    var mark = document.createElement('span');
    mark.textContent = el.dataset.attribution;
    var box = map.attributionControl.getContainer();
    box.appendChild(mark);
  } else {
    map.attributionControl.setPrefix(false);
  }
  map.setView([35.0, 105.0], 4);

  function popup(p, overdueLabel) {
    var div = document.createElement('div');
    var a = document.createElement('a');
    a.href = p.href;
    a.textContent = p.number;
    var strong = document.createElement('strong');
    strong.appendChild(a);
    div.appendChild(strong);
    var lines = [p.enterprise, p.category + ' · ' + p.severity, p.status + (p.overdue ? ' · ' + overdueLabel : '')];
    lines.forEach(function (t) {
      div.appendChild(document.createElement('br'));
      div.appendChild(document.createTextNode(t));
    });
    return div;
  }

  fetch(el.dataset.points, { credentials: 'same-origin', headers: { accept: 'application/json' } })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
    .then(function (data) {
      var bounds = [];
      data.points.forEach(function (p) {
        var m = L.circleMarker([p.lat, p.lon], {
          radius: 8,
          color: p.overdue ? '#7a1010' : '#ffffff',
          weight: p.overdue ? 4 : 2,
          fillColor: p.major ? '#c62828' : '#ef8f00',
          fillOpacity: 0.9,
          className: 'map-point' + (p.major ? ' major' : '') + (p.overdue ? ' overdue' : '')
        });
        m.bindPopup(popup(p, data.overdue_label));
        m.addTo(map);
        bounds.push([p.lat, p.lon]);
      });
      if (bounds.length === 1) { map.setView(bounds[0], 16); }
      if (bounds.length > 1) { map.fitBounds(bounds, { padding: [24, 24], maxZoom: 17 }); }
      var notes = [];
      if (data.unplaced > 0) { notes.push(el.dataset.unplaced.replace('{n}', data.unplaced)); }
      if (data.beyond_limit > 0) {
        notes.push(el.dataset.beyond.replace('{n}', data.beyond_limit).replace('{limit}', el.dataset.limit));
      }
      note.textContent = notes.join(' ');
      el.dataset.drawn = String(bounds.length);
    })
    .catch(function () { note.textContent = el.dataset.failed; });
}());
