// The adjudication page, keyboard first: the first choice has the focus; a digit chooses in the group in focus
// (a score by its value, a verdict by its number) and moves to the next group, then to the note;
// Ctrl+Enter (or Cmd+Enter) records the final label from anywhere in the form.
(function () {
  "use strict";
  const form = document.querySelector("[data-adjudicate]");
  if (!form) return;
  const groups = Array.from(form.querySelectorAll("fieldset[data-pick]"));
  const note = form.querySelector("[data-note]");

  function focusGroup(group) {
    const target = group ? group.querySelector("input:checked") || group.querySelector("input") : note;
    if (target) target.focus();
  }

  if (groups.length) focusGroup(groups[0]);
  else (form.querySelector("[data-answer]") || note).focus();  // an exam's answer is typed
  form.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    if (!/^[0-9]$/.test(event.key) || event.ctrlKey || event.altKey || event.metaKey) return;
    const group = event.target.closest("fieldset[data-pick]");
    if (!group) return;
    const radios = Array.from(group.querySelectorAll("input[type=radio]"));
    const choice = group.dataset.pick === "position"
      ? radios[Number(event.key) - 1]
      : radios.find(function (radio) { return radio.value === event.key; });
    if (!choice) return;
    event.preventDefault();
    choice.checked = true;
    focusGroup(groups[groups.indexOf(group) + 1]);
  });
})();
