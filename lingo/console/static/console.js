// lingo console: progressive enhancement only (every page works without it).
// A POST form being submitted says so and cannot be sent twice: the clicked button
// shows its data-busy text ("处理中…" by default) and every button of the form is
// disabled once the browser has taken the form's data (the clicked button's own
// name and value are still sent).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if ((form.getAttribute("method") || "get").toLowerCase() !== "post") {
    return;
  }
  var button = event.submitter;
  if (button) {
    button.textContent = button.getAttribute("data-busy") || "处理中…";
  }
  form.setAttribute("aria-busy", "true");
  window.setTimeout(function () {
    var buttons = form.querySelectorAll("button");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].disabled = true;
    }
  }, 0);
});
