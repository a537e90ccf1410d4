// Forms that destroy something carry data-confirm: ask first, then mark the answer so the
// server does not ask again (scheduler/confirmation.py). Runs in the capture phase, before
// htmx sees the submit, so a "no" sends nothing.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (!question) {
    return;
  }
  if (!window.confirm(question)) {
    event.preventDefault();
    event.stopPropagation();
    return;
  }
  var mark = form.querySelector("input[name=confirmed]");
  if (!mark) {
    mark = document.createElement("input");
    mark.type = "hidden";
    mark.name = "confirmed";
    form.appendChild(mark);
  }
  mark.value = "1";
}, true);
