// Organisation unit lists: a list marked data-depends-on shows only the options whose data-parent is the
// value chosen in the list it depends on. Without JavaScript every option shows and the server checks.
(function () {
  document.querySelectorAll("select[data-depends-on]").forEach(function (child) {
    var parent = document.getElementById(child.getAttribute("data-depends-on"));
    if (!parent) return;
    var all = Array.prototype.slice.call(child.options).filter(function (o) { return o.value !== ""; });
    function refresh() {
      var keep = child.value;
      all.forEach(function (o) { o.remove(); });
      all.forEach(function (o) { if (o.getAttribute("data-parent") === parent.value) child.appendChild(o); });
      child.value = all.some(function (o) { return o.value === keep && o.getAttribute("data-parent") === parent.value; }) ? keep : "";
      child.dispatchEvent(new Event("change"));
    }
    parent.addEventListener("change", refresh);
    refresh();
  });
})();
