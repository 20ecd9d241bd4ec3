// The admin's create-account page: as the birth date is chosen (day, month, Buddhist-era year), the hint
// under the year shows the first password it gives (DDMMYYYY). Without JavaScript the page shows it after
// the form is sent back with an error; the server checks the date either way.
(function () {
  var day = document.getElementById("birthDay");
  var month = document.getElementById("birthMonth");
  var year = document.getElementById("birthYear");
  var hint = document.getElementById("birthYear-hint");
  if (!day || !month || !year || !hint) return;
  var original = hint.textContent;
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function refresh() {
    var d = parseInt(day.value, 10), m = parseInt(month.value, 10);
    var y = year.value.replace(/[๐-๙]/g, function (c) { return String(c.charCodeAt(0) - 0x0E50); }).trim();
    if (!/^\d{4}$/.test(y) || !d || !m) { hint.textContent = original; return; }
    var be = parseInt(y, 10), ce = be - 543, date = new Date(ce, m - 1, d);
    if (be < 2400 || date.getFullYear() !== ce || date.getMonth() !== m - 1 || date.getDate() !== d || date > new Date()) {
      hint.textContent = original;
      return;
    }
    hint.textContent = "รหัสผ่านเริ่มต้นของบัญชีนี้: " + two(d) + two(m) + y + " (วัน เดือน ปี พ.ศ. 8 หลัก ใช้ได้ 72 ชั่วโมง)";
  }
  [day, month].forEach(function (el) { el.addEventListener("change", refresh); });
  year.addEventListener("input", refresh);
  refresh();
})();
