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
  // After a refused save (conflict, errors) the text on the page is not saved anywhere yet.
  var saved = form.hasAttribute("data-unsaved") ? null : textarea.value;
  var timer = null;
  var latest = 0;

  function say(text) {
    if (status) status.textContent = text;
  }

  function refresh(attempt) {
    var ticket = ++latest;
    attempt = attempt || 0;
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
          return { ok: response.ok, text: text, retry: Number(response.headers.get("Retry-After")) };
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
          // Busy with another preview of this text: try again a few times, then wait for typing.
          if (result.retry > 0 && attempt < 3) {
            setTimeout(function () {
              if (ticket === latest) refresh(attempt + 1);
            }, result.retry * 1000);
          }
        }
      })
      .catch(function () {
        if (ticket === latest) say("The preview could not be updated (are you offline?).");
      });
  }

  // A copy of unsaved text in this browser, in case a save fails (lost connection, expired
  // cookies): the next visit to the editor offers it back.
  var draftKey = "shortscience-draft:" + window.location.pathname;
  function keepDraft() {
    try {
      if (textarea.value === saved) window.localStorage.removeItem(draftKey);
      else window.localStorage.setItem(draftKey, JSON.stringify({ text: textarea.value, at: Date.now() }));
    } catch (error) {
      /* storage may be full or disabled: the server-side safeguards still apply */
    }
  }
  function offerDraft() {
    var draft = null;
    try {
      draft = JSON.parse(window.localStorage.getItem(draftKey) || "null");
    } catch (error) {
      return;
    }
    if (!draft || typeof draft.text !== "string") return;
    if (draft.text === textarea.value) {
      window.localStorage.removeItem(draftKey);
      return;
    }
    var note = document.createElement("p");
    note.className = "message draft-offer";
    note.setAttribute("role", "status");
    note.textContent = "This browser kept text you had not saved (" + new Date(draft.at).toLocaleString() + "). ";
    var bring = document.createElement("button");
    bring.type = "button";
    bring.className = "button button-secondary small";
    bring.textContent = "Bring it back";
    bring.addEventListener("click", function () {
      textarea.value = draft.text;
      note.remove();
      refresh();
    });
    var drop = document.createElement("button");
    drop.type = "button";
    drop.className = "link-button small";
    drop.textContent = "Discard it";
    drop.addEventListener("click", function () {
      window.localStorage.removeItem(draftKey);
      note.remove();
    });
    note.appendChild(bring);
    note.appendChild(document.createTextNode(" "));
    note.appendChild(drop);
    var editor = form.closest(".editor") || form;
    editor.parentNode.insertBefore(note, editor);
  }
  offerDraft();

  textarea.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      keepDraft();
      refresh();
    }, 400);
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
