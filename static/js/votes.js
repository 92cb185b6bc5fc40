// Votes without a page reload. The forms work as plain POSTs when this file is absent.
(function () {
  "use strict";
  function label(score) {
    return score + " point" + (Math.abs(score) === 1 ? "" : "s");
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-vote-form]")) return;
    var button = event.submitter;
    if (!button || !window.fetch) return;
    event.preventDefault();
    var body = new FormData(form);
    body.append(button.name, button.value);
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (result) {
        var note = form.querySelector("[data-vote-note]");
        if (!note) {
          note = document.createElement("span");
          note.setAttribute("data-vote-note", "");
          note.setAttribute("role", "status");
          note.className = "vote-note";
          form.appendChild(note);
        }
        note.textContent = result.ok ? "" : result.data.error || "The vote did not go through.";
        if (!result.ok) return;
        var id = form.action.match(/summaries\/(\d+)\/vote/)[1];
        document.querySelectorAll('[data-score-of="' + id + '"]').forEach(function (node) {
          node.textContent = label(result.data.score);
        });
        form.querySelectorAll("button[data-direction]").forEach(function (b) {
          var direction = b.getAttribute("data-direction");
          var pressed = String(result.data.vote) === direction;
          b.setAttribute("aria-pressed", pressed ? "true" : "false");
          b.value = pressed ? "0" : direction;
        });
      })
      .catch(function () {
        // Fall back to the plain form post, carrying the pressed button's value.
        var field = document.createElement("input");
        field.type = "hidden";
        field.name = button.name;
        field.value = button.value;
        form.appendChild(field);
        form.submit();
      });
  });
})();
