// Maps of the location field and of officers' pages (Views/partials/map.leaf), with Debian's Leaflet served
// at /vendor/leaflet/. Everything here is an extra: the location field's text, latitude and longitude inputs
// stay on the page and the server checks them, so a phone without JavaScript, location or tiles still files.
// - A location field's map: tap the map or drag the pin, and the latitude and longitude inputs follow; typing
//   in them moves the pin. "ใช้ตำแหน่งปัจจุบัน" asks the phone for its position.
// - A photo chosen in the same form that carries a GPS position in its EXIF (JPEG, HEIC, WebP, PNG) offers
//   "ใช้ตำแหน่งจากรูปนี้": the pin moves there only if the citizen presses it. The position is read here only;
//   the server stores photos without EXIF.
// - A read-only map shows pins (data-pins), each linking to its petition.
(function () {
  "use strict";

  function number(s) {
    var v = parseFloat(String(s || "").trim());
    return isFinite(v) ? v : null;
  }

  function parseArea(text) {
    return String(text || "").split(" ").filter(Boolean).map(function (pair) {
      var p = pair.split(",");
      return [parseFloat(p[0]), parseFloat(p[1])];
    });
  }

  // Even-odd test on the area's corners (the server's rule; the edge counts as inside).
  function inside(area, lat, lng) {
    if (!area.length) return true;
    var c = false;
    for (var i = 0, j = area.length - 1; i < area.length; j = i++) {
      var a = area[i], b = area[j];
      if ((a[0] > lat) !== (b[0] > lat) && lng < (b[1] - a[1]) * (lat - a[0]) / (b[0] - a[0]) + a[1]) c = !c;
    }
    return c;
  }

  function escapeHTML(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }

  // ---- EXIF GPS from the first megabyte of a photo -------------------------------------------------------
  // Finds the EXIF block's TIFF header wherever the format keeps it (JPEG's APP1, HEIC's Exif item, PNG's
  // eXIf, WebP's EXIF chunk), then IFD0 → GPS IFD → latitude and longitude.
  function gpsFromBytes(b) {
    function tiffAt(i) {
      return i + 8 <= b.length && ((b[i] === 0x49 && b[i + 1] === 0x49 && b[i + 2] === 0x2a && b[i + 3] === 0) ||
        (b[i] === 0x4d && b[i + 1] === 0x4d && b[i + 2] === 0 && b[i + 3] === 0x2a));
    }
    for (var i = 0; i + 12 < b.length; i++) {
      // A TIFF header whose first directory follows it (offset 8): how every camera and phone writes EXIF.
      if (tiffAt(i) && (b[i] === 0x49 ? b[i + 4] === 8 && !b[i + 5] && !b[i + 6] && !b[i + 7]
        : !b[i + 4] && !b[i + 5] && !b[i + 6] && b[i + 7] === 8)) {
        var gps = readTIFF(b, i);
        if (gps) return gps;
      }
    }
    return null;
  }

  function readTIFF(b, t) {
    var little = b[t] === 0x49;
    function u16(o) { o += t; if (o + 2 > b.length) return null; return little ? b[o] | b[o + 1] << 8 : b[o] << 8 | b[o + 1]; }
    function u32(o) {
      o += t; if (o + 4 > b.length) return null;
      return little ? (b[o] | b[o + 1] << 8 | b[o + 2] << 16) + b[o + 3] * 16777216 : (b[o + 1] << 16 | b[o + 2] << 8 | b[o + 3]) + b[o] * 16777216;
    }
    function entries(ifd) {
      var n = u16(ifd), out = {};
      if (n === null || n > 500) return null;
      for (var k = 0; k < n; k++) {
        var e = ifd + 2 + k * 12, tag = u16(e);
        if (tag === null) return null;
        out[tag] = { type: u16(e + 2), count: u32(e + 4), at: e + 8 };
      }
      return out;
    }
    function rationals(e) {
      if (!e || e.type !== 5 || e.count !== 3) return null;
      var off = u32(e.at), v = [];
      for (var k = 0; k < 3; k++) {
        var num = u32(off + k * 8), den = u32(off + k * 8 + 4);
        if (num === null || !den) return null;
        v.push(num / den);
      }
      return v[0] + v[1] / 60 + v[2] / 3600;
    }
    function ref(e) { return e && e.type === 2 ? String.fromCharCode(b[t + e.at]) : ""; }
    var ifd0 = entries(u32(4));
    if (!ifd0 || !ifd0[0x8825]) return null;
    var gps = entries(u32(ifd0[0x8825].at));
    if (!gps) return null;
    var lat = rationals(gps[2]), lng = rationals(gps[4]);
    if (lat === null || lng === null || (lat === 0 && lng === 0)) return null;
    if (ref(gps[1]) === "S") lat = -lat;
    if (ref(gps[3]) === "W") lng = -lng;
    return { lat: lat, lng: lng };
  }

  function photoPosition(file, done) {
    if (!file || !/^image\//.test(file.type || "image/") || !file.slice || !window.FileReader) return done(null);
    var reader = new FileReader();
    reader.onload = function () {
      try { done(gpsFromBytes(new Uint8Array(reader.result))); } catch (e) { done(null); }
    };
    reader.onerror = function () { done(null); };
    reader.readAsArrayBuffer(file.slice(0, 1 << 20));
  }

  // ---- one map block ---------------------------------------------------------------------------------------
  function setUp(block) {
    var field = block.getAttribute("data-location-field");
    var form = block.closest("form");
    var latInput = field && form ? form.querySelector("[name='" + field + "_lat']") : null;
    var lngInput = field && form ? form.querySelector("[name='" + field + "_lng']") : null;
    var status = block.querySelector("[data-map-status]");
    var area = parseArea(block.getAttribute("data-area"));
    var canvas = block.querySelector("[data-map-canvas]");
    var map = null, marker = null;

    function say(text) { if (status) status.textContent = text; }

    function current() {
      if (!latInput || !lngInput) return null;
      var lat = number(latInput.value), lng = number(lngInput.value);
      return lat === null || lng === null ? null : [lat, lng];
    }

    function showPin(lat, lng, pan) {
      if (!map) return;
      if (!marker) {
        marker = L.marker([lat, lng], { draggable: true, keyboard: true, title: "ตำแหน่งที่เลือก", alt: "หมุดตำแหน่งที่เลือก" }).addTo(map);
        marker.on("dragend", function () {
          var p = marker.getLatLng();
          fill(p.lat, p.lng, false);
        });
      } else {
        marker.setLatLng([lat, lng]);
      }
      if (pan) map.setView([lat, lng], Math.max(map.getZoom(), 16));
    }

    function fill(lat, lng, pan) {
      latInput.value = lat.toFixed(6);
      lngInput.value = lng.toFixed(6);
      showPin(lat, lng, pan);
      say(inside(area, lat, lng) ? "ปักหมุดแล้วที่ " + lat.toFixed(6) + ", " + lng.toFixed(6)
        : "ตำแหน่งนี้อยู่นอกพื้นที่ให้บริการ กรุณาเลือกตำแหน่งในเขตพื้นที่ (เส้นสีบนแผนที่)");
    }

    var tiles = block.getAttribute("data-tiles");
    if (tiles && canvas && window.L) {
      canvas.hidden = false;
      L.Icon.Default.imagePath = "/vendor/leaflet/images/";
      var c = (block.getAttribute("data-center") || "13,101").split(",");
      map = L.map(canvas, { scrollWheelZoom: false, tap: true }).setView([parseFloat(c[0]), parseFloat(c[1])],
        parseInt(block.getAttribute("data-zoom") || "13", 10));
      L.tileLayer(tiles, { maxZoom: 19, attribution: escapeHTML(block.getAttribute("data-attribution") || "") }).addTo(map);
      if (area.length) {
        var outline = L.polygon(area, { color: "#0b5d3b", weight: 2, fill: false, interactive: false }).addTo(map);
        map.fitBounds(outline.getBounds());
      }
      var pins = [];
      try { pins = JSON.parse(block.getAttribute("data-pins") || "[]"); } catch (e) { pins = []; }
      if (pins.length) {
        var group = [];
        pins.forEach(function (p) {
          var m = L.marker([p.lat, p.lng], { keyboard: true, title: p.label, alt: p.label }).addTo(map);
          m.bindPopup(p.url ? "<a href=\"" + escapeHTML(p.url) + "\">" + escapeHTML(p.label) + "</a>" : escapeHTML(p.label));
          group.push([p.lat, p.lng]);
        });
        if (group.length === 1) map.setView(group[0], 16); else map.fitBounds(group, { padding: [24, 24], maxZoom: 17 });
      }
      if (latInput) {
        var start = current();
        if (start) showPin(start[0], start[1], true);
        map.on("click", function (e) { fill(e.latlng.lat, e.latlng.lng, false); });
        [latInput, lngInput].forEach(function (input) {
          input.addEventListener("change", function () {
            var p = current();
            if (p) showPin(p[0], p[1], true);
          });
        });
      }
    }

    if (!latInput || !lngInput) return;
    var geo = block.querySelector(".geolocate");
    if (geo && navigator.geolocation) {
      geo.hidden = false;
      geo.querySelector("[data-geolocate]").addEventListener("click", function () {
        say("กำลังหาตำแหน่ง…");
        navigator.geolocation.getCurrentPosition(function (p) {
          fill(p.coords.latitude, p.coords.longitude, true);
          say("ใช้ตำแหน่งปัจจุบันแล้ว (คลาดเคลื่อนประมาณ " + Math.round(p.coords.accuracy) + " เมตร) ลากหมุดเพื่อแก้ไขได้");
        }, function () {
          say("หาตำแหน่งไม่ได้ กรุณาอนุญาตให้เบราว์เซอร์ใช้ตำแหน่ง หรือปักหมุดบนแผนที่ หรือบอกจุดสังเกตแทน");
        }, { enableHighAccuracy: true, timeout: 15000 });
      });
    }
    // A photo's GPS position is offered as the pin: the citizen chooses to use it (a button), nothing is filled
    // without them. The photo itself is stored without its EXIF.
    var offer = document.createElement("p");
    offer.className = "photo-position";
    offer.hidden = true;
    var use = document.createElement("button");
    use.type = "button";
    use.className = "button button-secondary";
    use.setAttribute("data-photo-position", "");
    var note = document.createElement("span");
    note.className = "hint";
    offer.appendChild(note);
    offer.appendChild(document.createTextNode(" "));
    offer.appendChild(use);
    block.insertBefore(offer, block.firstChild);
    var suggested = null;
    use.addEventListener("click", function () {
      if (!suggested) return;
      fill(suggested.lat, suggested.lng, true);
      say("ใช้ตำแหน่งจากรูป " + suggested.name + " แล้ว กรุณาตรวจสอบ ลากหมุดหรือแตะแผนที่เพื่อแก้ไขได้");
      offer.hidden = true;
    });
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      input.addEventListener("change", function () {
        var files = Array.prototype.slice.call(input.files || []);
        (function next() {
          var f = files.shift();
          if (!f) return;
          photoPosition(f, function (p) {
            if (!p) return next();
            if (!inside(area, p.lat, p.lng)) {
              suggested = null;
              offer.hidden = true;
              say("รูป " + f.name + " ถ่ายนอกพื้นที่ให้บริการ จึงไม่เสนอตำแหน่งของรูป กรุณาปักหมุดเอง");
              return;
            }
            suggested = { lat: p.lat, lng: p.lng, name: f.name };
            note.textContent = "รูป " + f.name + " บันทึกตำแหน่งที่ถ่ายไว้ (" + p.lat.toFixed(5) + ", " + p.lng.toFixed(5) +
              ") ระบบจะลบข้อมูลตำแหน่งออกจากไฟล์รูปก่อนเก็บ";
            use.textContent = "ใช้ตำแหน่งจากรูปนี้";
            offer.hidden = false;
          });
        })();
      });
    });
  }

  document.querySelectorAll("[data-map]").forEach(setUp);
})();
