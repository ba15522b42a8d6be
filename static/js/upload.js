// The upload widget (templates/annotation/includes/upload_section.html): drop a file or pick one, send it
// to the uploads API with a progress bar, then follow the import every half second until it is done or
// failed, and list the bad records (FILE:LINE: field: reason) when it failed. No framework, no build step.
(function () {
  "use strict";
  var root = document.getElementById("upload");
  if (!root) return;
  var form = document.getElementById("upload-form");
  var input = document.getElementById("upload-file");
  var zone = document.getElementById("upload-dropzone");
  var holds = document.getElementById("upload-kind");  // what the file holds: responses, ratings, ...
  var result = document.getElementById("upload-result");
  var bar = document.getElementById("upload-progress");
  var statusLine = document.getElementById("upload-status");
  var errorList = document.getElementById("upload-errors");
  var button = document.getElementById("upload-submit");

  function message(name, values) {
    var text = root.dataset["msg" + name] || "";
    Object.keys(values || {}).forEach(function (key) { text = text.split("{" + key + "}").join(values[key]); });
    return text;
  }

  function say(text, errors) {
    result.hidden = false;
    statusLine.textContent = text;
    errorList.textContent = "";
    (errors || []).forEach(function (error) {
      var item = document.createElement("li");
      item.textContent = error;
      errorList.appendChild(item);
    });
  }

  function showOptionsOfWhatItHolds() {
    if (!holds) return;
    root.querySelectorAll("[data-for-upload]").forEach(function (element) {
      element.hidden = element.dataset.forUpload.split(" ").indexOf(holds.value) === -1;  // kinds it is for
    });
  }
  if (holds) { holds.addEventListener("change", showOptionsOfWhatItHolds); showOptionsOfWhatItHolds(); }

  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (event) { event.preventDefault(); zone.classList.add("dropzone--over"); });
  });
  ["dragleave", "drop"].forEach(function (type) {
    zone.addEventListener(type, function () { zone.classList.remove("dropzone--over"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) input.files = event.dataTransfer.files;
  });

  function refusal(request) {
    var body = {};
    try { body = JSON.parse(request.responseText); } catch (error) { /* not JSON: say the status */ }
    if (body.detail) return [body.detail];
    var lines = [];
    Object.keys(body).forEach(function (field) { lines.push(field + ": " + [].concat(body[field]).join(" ")); });
    return lines.length ? lines : [request.status + " " + request.statusText];
  }

  function follow(upload) {
    bar.value = upload.progress;
    if (upload.status === "done") {
      say(message("Done") + " " + upload.summary);
      button.disabled = false;
    } else if (upload.status === "failed") {
      var errors = upload.errors.slice();
      if (upload.error_count > errors.length) errors.push(message("More", { count: upload.error_count - errors.length }));
      say(message("Failed", { count: upload.error_count }), errors);
      button.disabled = false;
    } else {
      say(message(upload.status === "queued" ? "Queued" : "Running"));
      window.setTimeout(function () { poll(upload.id); }, 500);
    }
  }

  function poll(id) {
    fetch(root.dataset.statusUrl.replace("00000000-0000-0000-0000-000000000000", id),
          { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (upload) { if (upload) follow(upload); else window.setTimeout(function () { poll(id); }, 1000); })
      .catch(function () { window.setTimeout(function () { poll(id); }, 1000); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = input.files[0];
    if (!file) { say(message("Choose")); return; }
    if (file.size > Number(root.dataset.maxBytes)) {
      say(message("TooLarge", { name: file.name, limit: root.dataset.limit }));
      return;
    }
    var request = new XMLHttpRequest();
    request.open("POST", root.dataset.postUrl);
    request.setRequestHeader("X-CSRFToken", form.elements.csrfmiddlewaretoken.value);
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", function (progress) {
      if (progress.lengthComputable) bar.value = progress.loaded / progress.total;
    });
    request.addEventListener("load", function () {
      if (request.status === 202) { bar.value = 0; follow(JSON.parse(request.responseText)); return; }
      say(refusal(request)[0], refusal(request).slice(1));
      button.disabled = false;
    });
    request.addEventListener("error", function () { say(message("Network")); button.disabled = false; });
    button.disabled = true;
    bar.value = 0;
    say(message("Sending", { name: file.name }));
    request.send(new FormData(form));
  });
})();
