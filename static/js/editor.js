// The summary editor: live preview (debounced) and a warning before leaving unsaved text.
// Without this file the Preview button does the same with a round trip to the server.
(function () {
  "use strict";
  var form = document.querySelector("form[data-editor]");
  if (!form) return;
  var textarea = form.querySelector("textarea[name=source]");
  var target = document.querySelector("[data-preview]");
  var status = document.querySelector("[data-preview-status]");
  var url = form.getAttribute("data-preview-url");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var saved = textarea.value;
  var timer = null;
  var latest = 0;

  function say(text) {
    if (status) status.textContent = text;
  }

  function refresh() {
    var ticket = ++latest;
    var body = new FormData();
    body.append("source", textarea.value);
    say("Updating the preview…");
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        return response.text().then(function (text) {
          return { ok: response.ok, text: text };
        });
      })
      .then(function (result) {
        if (ticket !== latest) return; // a newer request is on its way
        if (result.ok) {
          // Sanitized on the server by the same pipeline that renders saved summaries.
          target.innerHTML = result.text;
          say("");
        } else {
          say(result.text);
        }
      })
      .catch(function () {
        if (ticket === latest) say("The preview could not be updated (are you offline?).");
      });
  }

  textarea.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });

  // The Preview button is for pages without script; here the preview is already live.
  var button = form.querySelector("[data-preview-button]");
  if (button) button.hidden = true;

  var submitting = false;
  form.addEventListener("submit", function () {
    submitting = true;
  });
  window.addEventListener("beforeunload", function (event) {
    if (submitting || textarea.value === saved) return;
    event.preventDefault();
    event.returnValue = "";
  });
})();
