// Petition form helpers; the form works without them.
// - Files over the form's size limit are refused before sending (the server checks again).
// - The submit button is disabled after the first press (the server files one petition anyway).
// - The receipt page's print button.
(function () {
  "use strict";
  var form = document.querySelector("[data-petition-form]");
  if (form) {
    var maxBytes = parseInt(form.getAttribute("data-max-bytes") || "0", 10);
    form.addEventListener("submit", function (event) {
      var tooBig = null;
      form.querySelectorAll("input[type=file]").forEach(function (input) {
        Array.prototype.forEach.call(input.files || [], function (f) {
          if (maxBytes && f.size > maxBytes && !tooBig) tooBig = f.name;
        });
      });
      if (tooBig) {
        event.preventDefault();
        alert("ไฟล์ " + tooBig + " มีขนาดใหญ่เกินกำหนด กรุณาเลือกไฟล์ที่เล็กลง");
        return;
      }
      var button = form.querySelector("[data-submit]");
      if (event.submitter && event.submitter !== button) return;
      if (button) {
        setTimeout(function () { button.disabled = true; button.textContent = "กำลังส่งคำร้อง…"; }, 0);
      }
    });
  }
  var print = document.querySelector("[data-print]");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
})();
