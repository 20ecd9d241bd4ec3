// Image inputs of forms marked data-upload-form: a preview of each chosen image, and the size limit
// checked before sending (the server checks again while the upload streams, and answers 413).
(function () {
  document.querySelectorAll("form[data-upload-form]").forEach(function (form) {
    var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10);
    var maxMB = form.getAttribute("data-max-mb");
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      var preview = form.querySelector('[data-preview="' + input.id + '"]');
      var error = form.querySelector('[data-client-error="' + input.id + '"]');
      input.addEventListener("change", function () {
        preview.textContent = "";
        error.hidden = true;
        var file = input.files && input.files[0];
        if (!file) return;
        if (file.size > maxBytes) {
          error.textContent = "ไฟล์มีขนาดใหญ่เกิน " + maxMB + " MB กรุณาย่อภาพหรือเลือกไฟล์อื่น";
          error.hidden = false;
          input.value = "";
          return;
        }
        var name = document.createElement("p");
        name.className = "hint";
        var size = file.size < 1048576 ? Math.max(1, Math.round(file.size / 1024)) + " KB" : (file.size / 1048576).toFixed(1) + " MB";
        name.textContent = file.name + " (" + size + ")";
        preview.appendChild(name);
        if (/^image\/(jpeg|png|webp)$/.test(file.type)) {
          var img = document.createElement("img");
          img.alt = "ภาพตัวอย่างที่เลือก";
          img.src = URL.createObjectURL(file);
          img.onload = function () { URL.revokeObjectURL(img.src); };
          preview.appendChild(img);
        }
      });
    });
  });
})();
