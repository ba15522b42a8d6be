// The rubric form works without JavaScript; this adds an "Add axis" button and shows only
// the section (axes or verdict options) that fits the chosen kind.
(function () {
  "use strict";

  var form = document.querySelector("[data-rubric-form]");
  if (!form) return;

  var axisList = form.querySelector("[data-axis-forms]");
  var axisTemplate = form.querySelector("template[data-axis-template]");
  var addButton = form.querySelector("[data-add-axis]");
  var totalForms = form.querySelector("input[name='axes-TOTAL_FORMS']");
  var maxForms = form.querySelector("input[name='axes-MAX_NUM_FORMS']");

  function addAxis() {
    var index = parseInt(totalForms.value, 10);
    if (maxForms && index >= parseInt(maxForms.value, 10)) return;
    // Django names the fields of an empty formset form with __prefix__; the next index replaces it.
    var html = axisTemplate.innerHTML
      .replace(/__prefix__/g, String(index))
      .replace(/__number__/g, String(index + 1));
    axisList.insertAdjacentHTML("beforeend", html);
    totalForms.value = String(index + 1);
    var added = axisList.lastElementChild;
    var firstInput = added && added.querySelector("input, textarea");
    if (firstInput) firstInput.focus();
  }

  function selectedKind() {
    var checked = form.querySelector("input[name='kind']:checked");
    return checked ? checked.value : "likert";
  }

  function showSectionsForKind() {
    var kind = selectedKind();
    form.querySelectorAll("[data-kind-section]").forEach(function (section) {
      section.hidden = section.getAttribute("data-kind-section") !== kind;
    });
  }

  if (addButton && axisTemplate && totalForms) {
    addButton.hidden = false;
    addButton.addEventListener("click", addAxis);
  }
  form.querySelectorAll("input[name='kind']").forEach(function (radio) {
    radio.addEventListener("change", showSectionsForKind);
  });
  showSectionsForKind();
})();
