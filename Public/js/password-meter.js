// Live strength meter for password fields marked data-strength-meter ("รหัสผ่าน มีความปลอดภัยระดับ…").
// The server checks the rule again; this only helps while typing.
(function () {
  var levels = ["ต่ำ", "ปานกลาง", "สูง", "สูงมาก"];
  function score(p) {
    if (p.length < 8) return 0;
    var kinds = [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/].filter(function (r) { return r.test(p); }).length;
    var s = kinds + (p.length >= 12 ? 1 : 0) + (p.length >= 16 ? 1 : 0);
    return s <= 2 ? 0 : s === 3 ? 1 : s === 4 ? 2 : 3;
  }
  document.querySelectorAll("input[data-strength-meter]").forEach(function (input) {
    var out = document.getElementById(input.getAttribute("data-strength-meter"));
    if (!out) return;
    input.addEventListener("input", function () {
      out.textContent = input.value ? "รหัสผ่าน มีความปลอดภัยระดับ" + levels[score(input.value)] : "";
    });
  });
})();
