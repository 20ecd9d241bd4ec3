// Live countdown on the new-password page ("กรุณากำหนดรหัสผ่านภายในเวลา … นาที … วินาที").
// The server decides whether the link is still valid; this only tells the person how long is left.
(function () {
  var box = document.querySelector("[data-countdown]");
  if (!box) return;
  var text = box.querySelector("[data-countdown-text]");
  var end = Date.now() + parseInt(box.getAttribute("data-countdown"), 10) * 1000;
  function tick() {
    var left = Math.max(0, Math.round((end - Date.now()) / 1000));
    var m = Math.floor(left / 60), s = left % 60;
    text.textContent = left > 0 ? m + " นาที " + s + " วินาที" : "หมดเวลาแล้ว กรุณาขอลิงก์เปลี่ยนรหัสผ่านใหม่";
    if (left > 0) setTimeout(tick, 1000);
  }
  tick();
})();
