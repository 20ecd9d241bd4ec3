// Thai address blocks: choosing a province fills the district list from /geo/provinces/<code>, choosing a
// district fills the sub-district list, choosing a sub-district fills the postcode. The inputs carry
// data-address-role="province|district|subdistrict|postcode|refresh" and are named <prefix>_<part>, so a
// page may hold several blocks. Without JavaScript the "แสดงรายการอำเภอและตำบล" button (refresh) asks the
// server to draw the lists; here it is taken out, and put back if the lists cannot be fetched.
(function () {
  var cache = {};

  function load(code) {
    if (!cache[code]) {
      cache[code] = fetch("/geo/provinces/" + encodeURIComponent(code), { headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .catch(function (e) { delete cache[code]; throw e; });
    }
    return cache[code];
  }

  function fill(select, items) {
    while (select.options.length > 1) select.remove(1);  // keep "— เลือก —"
    (items || []).forEach(function (item) { select.add(new Option(item.name, item.code)); });
    select.value = "";
  }

  function block(province) {
    var prefix = province.name.replace(/_province$/, "");
    var form = province.form || document;
    function part(role) {
      return form.querySelector('[data-address-role="' + role + '"][name="' + prefix + "_" + role + '"]');
    }
    var district = part("district");
    var subdistrict = part("subdistrict");
    var postcode = part("postcode");
    var refresh = form.querySelector('[data-address-role="refresh"][value="' + prefix + '"]');
    if (!district || !subdistrict) return;
    var hint = postcode && document.getElementById(postcode.id + "-hint");
    var plainHint = "กรอกให้ตามตำบล/แขวงที่เลือก";

    // Taken out rather than hidden: a hidden first submit button would still answer the Enter key.
    var refreshHome = null;
    if (refresh) {
      refreshHome = { parent: refresh.parentNode, next: refresh.nextSibling };
      refresh.remove();
    }
    function offline() {
      if (refresh && refreshHome && !refresh.isConnected) refreshHome.parent.insertBefore(refresh, refreshHome.next);
    }

    function setPostcode(codes, keep) {
      if (!postcode) return;
      if (codes.length === 1) postcode.value = codes[0];
      else if (!keep || codes.indexOf(postcode.value) < 0) postcode.value = "";
      if (hint) {
        hint.textContent = codes.length > 1
          ? "ตำบล/แขวงนี้มีรหัสไปรษณีย์ " + codes.join(" หรือ ") + " กรุณากรอกรหัสของที่อยู่นี้"
          : plainHint;
      }
    }

    function busy(on) {
      [district, subdistrict].forEach(function (s) { if (on) s.setAttribute("aria-busy", "true"); else s.removeAttribute("aria-busy"); });
    }

    province.addEventListener("change", function () {
      fill(district, []);
      fill(subdistrict, []);
      setPostcode([], false);
      var code = province.value;
      if (!code) return;
      busy(true);
      load(code).then(function (data) {
        if (province.value !== code) return;  // the person chose again meanwhile
        fill(district, data.districts);
      }, offline).then(function () { busy(false); });
    });

    district.addEventListener("change", function () {
      fill(subdistrict, []);
      setPostcode([], false);
      var code = province.value, d = district.value;
      if (!code || !d) return;
      busy(true);
      load(code).then(function (data) {
        if (province.value !== code || district.value !== d) return;
        fill(subdistrict, (data.subdistricts || {})[d]);
      }, offline).then(function () { busy(false); });
    });

    subdistrict.addEventListener("change", function () {
      var code = province.value, d = district.value, s = subdistrict.value;
      if (!s) { setPostcode([], false); return; }
      load(code).then(function (data) {
        if (subdistrict.value !== s) return;
        var found = ((data.subdistricts || {})[d] || []).filter(function (x) { return x.code === s; })[0];
        setPostcode(found ? found.postcodes : [], false);
      }, offline);
    });
  }

  document.querySelectorAll('select[data-address-role="province"]').forEach(block);
})();
