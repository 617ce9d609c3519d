// Session note form: warn before leaving with unsaved text, and autosave drafts with htmx.
(function () {
  "use strict";
  const form = document.getElementById("note-form");
  if (!form) return;
  const seconds = Number(form.dataset.autosaveSeconds) || 30;
  const status = document.getElementById("autosave-status");
  let dirty = false;

  function markDirty() {
    dirty = true;
    status.textContent = "Unsaved changes.";
  }
  form.addEventListener("input", markDirty);
  form.addEventListener("change", markDirty);
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = "";  // older browsers need a value to show the prompt
  });

  window.setInterval(function () {
    if (!dirty) return;
    dirty = false;
    form.dispatchEvent(new Event("autosave"));
  }, seconds * 1000);

  // An autosave that did not get through leaves the form unsaved.
  document.body.addEventListener("htmx:afterRequest", function (event) {
    const trigger = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    if (trigger && trigger.type === "autosave" && !event.detail.successful) {
      markDirty();
    }
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target === status && status.querySelector(".text-danger")) dirty = true;
  });
})();
