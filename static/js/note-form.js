// Session note form: warn before leaving with unsaved text, and autosave drafts with htmx.
(function () {
  "use strict";
  const form = document.getElementById("note-form");
  if (!form) return;
  const seconds = Number(form.dataset.autosaveSeconds) || 30;
  const status = document.getElementById("autosave-status");
  // A draft the server turned down is unsaved, but must not be sent again by itself: each
  // autosave counts as activity on the server, so retrying one that keeps failing would keep
  // an unattended session (and the note on screen) from ever timing out. Hence two flags.
  let dirty = false;      // edited since the last autosave was sent: the timer sends one
  let unsaved = false;    // the server does not have what the form shows: ask before leaving
  let sent = null;        // the form's contents in the last autosave sent
  let saving = false;     // an autosave request is in flight
  let held = false;       // a submit is waiting for that request to finish
  let heldButton = null;  // ... and the button that made it ("Save draft" or "Sign note")

  function contents() {
    return new URLSearchParams(new FormData(form)).toString();
  }
  function markDirty() {
    // Only an edit makes the draft worth sending again. A change event can come without one:
    // a box the person typed in fires it when it loses focus, as when the idle warning takes
    // the focus. Sending what the server already has (or already turned down) would count as
    // activity and put off the idle sign-out, and the status would lose what it said.
    if (sent !== null && contents() === sent) return;
    dirty = true;
    unsaved = true;
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
    unsaved = false;
    window.clearInterval(timer);
  });
  window.addEventListener("beforeunload", function (event) {
    if (!unsaved) return;
    event.preventDefault();
    event.returnValue = "";  // older browsers need a value to show the prompt
  });

  const timer = window.setInterval(function () {
    if (!dirty || saving) return;
    dirty = false;
    sent = contents();
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
    // The server never answered (network down, server restarting): it did not see the
    // request, so trying again next time keeps nothing alive. An answer, even an error, waits
    // for the next edit like a refused draft does.
    if (!event.detail.successful) {
      if (event.detail.xhr.status === 0) {
        dirty = true;
        status.textContent = "Unsaved changes.";
      } else {
        // Not swapped in by htmx (an error status): say so the way the server's own lines do.
        const line = document.createElement("span");
        line.className = "text-danger";
        line.textContent = "Not saved: the server could not save the draft.";
        status.replaceChildren(line);
      }
    }
    // Let htmx finish swapping the new note id and version into the form first.
    window.setTimeout(function () {
      saving = false;
      // What the server now has includes the id and version it just sent back, so a box
      // losing focus afterwards, with nothing typed, does not count as an edit.
      if (event.detail.successful && !dirty) sent = contents();
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
  // The status line the server sent says whether the draft was saved. Refused (a field
  // error, an edit conflict, a note signed elsewhere): the text stays unsaved, so leaving still
  // asks and the line keeps saying why, but nothing is sent again until the next edit.
  // Saved: leaving is quiet, unless the person typed while the autosave was on its way.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target !== status) return;
    if (!status.querySelector(".text-danger") && !dirty) unsaved = false;
  });
  // Signed out for being idle: the text cannot be saved any more, and it must leave the screen.
  document.addEventListener("idle:signing-out", function () {
    unsaved = false;
  });
})();
