// Selecting a cell outlines its box on the page image and scrolls there; selecting a box
// selects its cell; the correction form takes the selected cell's path and value.  Plain
// script, no library: the desk runs on intranets with no internet.
(function () {
  "use strict";
  function select(path, from) {
    document.querySelectorAll(".selected").forEach(function (el) { el.classList.remove("selected"); });
    var cell = document.getElementById("cell-" + path);
    var boxes = document.querySelectorAll('.box[data-path="' + CSS.escape(path) + '"]');
    if (cell) { cell.classList.add("selected"); }
    boxes.forEach(function (box) { box.classList.add("selected"); });
    if (from !== "box" && boxes.length) { boxes[0].scrollIntoView({ block: "center" }); }
    if (from !== "cell" && cell) { cell.scrollIntoView({ block: "center" }); }
    var form = document.getElementById("correction");
    if (form && cell) {
      var chosen = form.querySelector('[name="path"]');
      if (chosen.value !== path) {  // a form sent back with its reason keeps what was typed
        chosen.value = path;
        form.querySelector('[name="value"]').value = cell.dataset.value || "";
        form.querySelector('[name="note"]').value = "";
        form.querySelectorAll(".error").forEach(function (el) { el.remove(); });
      }
      var place = form.querySelector(".path");  // the printed row and column; the path on hover
      place.textContent = cell.dataset.label || path;
      place.title = path;
      form.hidden = false;
    }
    if (history.replaceState) { history.replaceState(null, "", "#cell-" + path); }
  }
  document.addEventListener("click", function (event) {
    var box = event.target.closest(".box[data-path]");
    if (box) { event.preventDefault(); select(box.dataset.path, "box"); return; }
    var cell = event.target.closest("td.cell[data-path]");
    if (cell) { select(cell.dataset.path, "cell"); return; }
    var link = event.target.closest(".checks a[data-path], .audit a[data-path], .conflicts a[data-path], .changed a[data-path]");
    if (link) { event.preventDefault(); select(link.dataset.path, "link"); }
  });
  if (location.hash.indexOf("#cell-") === 0) {
    window.addEventListener("load", function () { select(decodeURIComponent(location.hash.slice(6)), "link"); });
  }
})();
