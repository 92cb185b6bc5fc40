// Copy buttons: a button with data-copy="<id>" copies that element's text. The text stays
// selectable without JavaScript; the buttons are hidden until this script shows them.
(function () {
  "use strict";

  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function confirm(button, label) {
    var original = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", original);
    button.textContent = label;
    window.setTimeout(function () { button.textContent = original; }, 2000);
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source.textContent;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(
          function () { confirm(button, "Copied"); },
          function () { selectText(source); confirm(button, "Press Ctrl+C to copy"); }
        );
      } else {
        selectText(source);
        confirm(button, document.execCommand("copy") ? "Copied" : "Press Ctrl+C to copy");
      }
    });
  });
})();
