// The report page while its figures are computed: ask for their progress every two seconds, update the
// percentage, and reload the page when they are ready (or failed). No framework, no build step.
(function () {
  "use strict";
  var root = document.getElementById("report-status");
  if (!root) return;

  function update(state) {
    var percent = root.querySelector('[data-field="percent"]');
    var bar = root.querySelector('[data-field="bar"]');
    if (percent) percent.textContent = state.progress;
    if (bar) { bar.value = state.progress; bar.textContent = state.progress + "%"; }
    if (state.ready) { window.location.reload(); return; }
    window.setTimeout(poll, 2000);
  }

  function poll() {
    fetch(root.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(update)
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  window.setTimeout(poll, 2000);
})();
