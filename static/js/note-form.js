// Session note form: warn before leaving with unsaved text, and autosave drafts with htmx.
(function () {
  "use strict";
  const form = document.getElementById("note-form");
  if (!form) return;
  const seconds = Number(form.dataset.autosaveSeconds) || 30;
  const status = document.getElementById("autosave-status");
  let dirty = false;
  let saving = false;     // an autosave request is in flight
  let held = false;       // a submit is waiting for that request to finish
  let heldButton = null;  // ... and the button that made it ("Save draft" or "Sign note")

  function markDirty() {
    dirty = true;
    status.textContent = "Unsaved changes.";
  }
  form.addEventListener("input", markDirty);
  form.addEventListener("change", markDirty);

  // Submitting while an autosave is in flight would post the old note id and version: hold
  // the submit until the autosave has answered, then submit with what it returned.
  form.addEventListener("submit", function (event) {
    if (saving) {
      event.preventDefault();
      held = true;
      heldButton = event.submitter || null;
      return;
    }
    dirty = false;
    window.clearInterval(timer);
  });
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = "";  // older browsers need a value to show the prompt
  });

  const timer = window.setInterval(function () {
    if (!dirty || saving) return;
    dirty = false;
    form.dispatchEvent(new Event("autosave"));
  }, seconds * 1000);

  function isAutosave(event) {
    const trigger = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    return Boolean(trigger && trigger.type === "autosave");
  }
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    if (isAutosave(event)) saving = true;
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (!isAutosave(event)) return;
    if (!event.detail.successful) markDirty();  // not saved: try again next time
    // Let htmx finish swapping the new note id and version into the form first.
    window.setTimeout(function () {
      saving = false;
      if (held) {
        held = false;
        form.requestSubmit(heldButton || undefined);
      }
    }, 0);
  });
  // A format chosen before htmx was listening (a slow page, or the browser restoring the
  // form) left the boxes of the old one: fetch the chosen format's boxes now.
  function matchFormat() {
    const select = form.elements.format;
    const sections = document.getElementById("note-sections");
    if (select && sections && select.value !== sections.dataset.format) {
      htmx.trigger(select, "change");
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", matchFormat);
  } else {
    matchFormat();
  }
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target === status && status.querySelector(".text-danger")) dirty = true;
  });
})();
