/* People pickers (accounts/pickers.py): suggestions as one types, from the
   portal's own search endpoint. The form works without this script: the
   server resolves the typed name. */
(function () {
  "use strict";
  // Each picker of a page names this script; it runs once.
  if (window.peoplePickers) { return; }
  window.peoplePickers = true;

  function suggest(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var text = input.value.trim();
    if (!list || text.length < 2 || /\)\s*$/.test(text)) { return; }
    var url = input.dataset.peopleSearch + "&q=" + encodeURIComponent(text);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) {
        list.replaceChildren();
        data.results.forEach(function (person) {
          var option = document.createElement("option");
          option.value = person.label;
          if (person.job_title) { option.label = person.job_title; }
          list.appendChild(option);
        });
      })
      .catch(function () { /* no suggestions: typing still works */ });
  }

  function addChosen(input) {
    // A suggestion chosen in a picker of several people joins the checked list.
    var list = document.getElementById(input.getAttribute("list"));
    var chosen = input.closest(".people-picker").querySelector(".people-picker__chosen");
    var match = list && Array.prototype.find.call(list.options, function (o) { return o.value === input.value; });
    var username = /\(([^()]+)\)\s*$/.exec(input.value);
    if (!match || !username || !chosen) { return; }
    var item = document.createElement("li");
    var label = document.createElement("label");
    var box = document.createElement("input");
    box.type = "checkbox";
    box.name = input.dataset.peopleAdd + "_add";
    box.value = username[1];
    box.checked = true;
    label.append(box, " " + input.value);
    item.appendChild(label);
    var none = chosen.querySelector(".people-picker__none");
    if (none) { none.remove(); }
    chosen.appendChild(item);
    input.value = "";
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-people-search]").forEach(function (input) {
      var timer = null;
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () { suggest(input); }, 200);
      });
      if (input.dataset.peopleAdd) {
        input.addEventListener("change", function () { addChosen(input); });
      }
    });
  });
})();
