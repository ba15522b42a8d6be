// The judge and generation job pages: while the job is queued or running, ask the API for its progress every two
// seconds and update the bar and the figures; when its status changes, reload the page so that the
// buttons and the failure tables match it. No framework, no build step.
(function () {
  "use strict";
  var root = document.getElementById("judge-job") || document.getElementById("generation-job");
  if (!root) return;
  var ACTIVE = ["queued", "running"];
  var status = root.dataset.status;
  if (ACTIVE.indexOf(status) < 0) return;

  function field(name) { return root.querySelector('[data-field="' + name + '"]'); }
  function show(name, value) { var element = field(name); if (element) element.textContent = value; }

  function update(job) {
    var progress = job.progress;
    var finished = progress.done + progress.failed;
    var bar = field("bar");
    if (bar) { bar.value = finished; bar.textContent = progress.percent + "%"; }
    show("finished", finished);
    show("percent", progress.percent);
    ["done", "failed", "calls", "cached", "tokens_in", "tokens_out", "latency_ms_avg"].forEach(function (name) {
      show(name, progress[name]);
    });
    show("cost", Number(progress.cost).toFixed(4));
    if (job.status !== status) window.location.reload();
  }

  function poll() {
    fetch(root.dataset.jobApi, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) { if (job) update(job); })
      .catch(function () { /* a lost poll is retried at the next tick */ })
      .finally(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 2000);
})();
