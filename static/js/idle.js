// Idle sign-out warning. The server ends an idle session by itself (SessionTimeoutMiddleware);
// this script warns shortly before, lets the person stay, and takes the page to sign-in when
// the time is up. It asks the server how long is left before it warns or leaves, so activity
// in another tab (or an autosave) is taken into account; asking does not count as activity.
(function () {
  "use strict";
  const box = document.getElementById("idle-warning");
  if (!box || !window.bootstrap) return;
  const idleMs = Number(box.dataset.idleSeconds) * 1000;
  const warningMs = Number(box.dataset.warningSeconds) * 1000;
  const modal = window.bootstrap.Modal.getOrCreateInstance(box);
  const countdowns = box.querySelectorAll("[data-idle-countdown]");
  const stay = box.querySelector("[data-idle-stay]");
  let timer = null;
  let ticker = null;
  let deadline = 0;
  let showing = false;

  function signIn() {
    // The session is over: a page holding unsaved text (the note form) must not keep itself
    // on screen behind a "leave this page?" prompt that nobody is there to answer.
    document.dispatchEvent(new CustomEvent("idle:signing-out"));
    const here = window.location.pathname + window.location.search;
    window.location.assign(box.dataset.signInUrl + "?next=" + encodeURIComponent(here));
  }

  // Resolves to the server's {remaining, ends_by}, or null once the session has ended.
  async function ask(method, url) {
    const response = await fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": box.dataset.csrfToken },
    });
    if (response.status === 401) return null;
    if (!response.ok) throw new Error("session check answered " + response.status);
    return response.json();
  }

  function schedule(remainingMs) {
    window.clearTimeout(timer);
    deadline = Date.now() + remainingMs;
    timer = window.setTimeout(check, Math.max(0, remainingMs - warningMs));
  }

  function tick() {
    const seconds = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    countdowns.forEach(function (element) { element.textContent = String(seconds); });
  }

  function showWarning(endsBy) {
    box.querySelectorAll("[data-idle-reason]").forEach(function (element) {
      element.classList.toggle("d-none", element.dataset.idleReason !== endsBy);
    });
    // Staying cannot stretch the absolute limit, so there is nothing to offer then.
    stay.classList.toggle("d-none", endsBy === "limit");
    tick();
    if (!showing) {
      showing = true;
      modal.show();
      window.clearInterval(ticker);
      ticker = window.setInterval(tick, 1000);
    }
  }

  function hideWarning() {
    if (!showing) return;
    showing = false;
    window.clearInterval(ticker);
    modal.hide();
  }

  function follow(state) {
    if (state === null) {
      signIn();
      return;
    }
    const remainingMs = state.remaining * 1000;
    if (remainingMs > warningMs) {
      hideWarning();
      schedule(remainingMs);
      return;
    }
    deadline = Date.now() + remainingMs;
    showWarning(state.ends_by);
    // Ask again when the time is up: the server answers 401 then, unless something else kept
    // the session going meanwhile.
    window.clearTimeout(timer);
    timer = window.setTimeout(check, remainingMs + 250);
  }

  function check() {
    ask("GET", box.dataset.statusUrl).then(follow, function () {
      // The server did not answer (network, restart): try again shortly.
      window.clearTimeout(timer);
      timer = window.setTimeout(check, 5000);
    });
  }

  stay.addEventListener("click", function () {
    ask("POST", box.dataset.keepaliveUrl).then(follow, check);
  });

  // Requests this page makes with htmx (search, suggestions, autosave) count as activity on
  // the server, so the countdown starts again here too.
  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful && !showing) schedule(idleMs);
  });

  // Browsers slow timers in background tabs: look again when the tab comes back.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") check();
  });

  schedule(idleMs);
})();
