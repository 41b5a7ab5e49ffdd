// Small behaviours shared by every page; no inline scripts (the content security policy forbids them).

// Issue 17: htmx swaps a form's error answer (422 or 400: the form again, with what to change)
// as it swaps a success; other errors keep the page and say so (see "no silent failures" below).
// The list is JSON, read by tests/agreements/test_htmx_errors.py.
if (window.htmx) {
  htmx.config.responseHandling = [
    {"code": "204", "swap": false},
    {"code": "[23]..", "swap": true},
    {"code": "422", "swap": true, "error": false},
    {"code": "400", "swap": true, "error": false},
    {"code": "[45]..", "swap": false, "error": true},
    {"code": "...", "swap": false}
  ];
  // The content security policy forbids style attributes: htmx must not settle them.
  htmx.config.attributesToSettle = ["class", "width", "height"];
}
document.addEventListener("htmx:afterSwap", function (event) {
  // Keep the tab strip in step with the tab htmx just loaded.
  const tabs = event.target.closest("[data-tabs]") || document.querySelector("[data-tabs]");
  if (!tabs || !event.detail.requestConfig) return;
  const path = event.detail.requestConfig.path;
  tabs.querySelectorAll(".nav-link").forEach(function (link) {
    const active = link.getAttribute("href") === path;
    link.classList.toggle("active", active);
    link.setAttribute("aria-selected", active ? "true" : "false");
  });
});

// "Select all" checkbox of a table: ticks every row checkbox with the same name.
document.addEventListener("change", function (event) {
  const master = event.target.closest("[data-select-all]");
  if (!master) return;
  const table = master.closest("table");
  table.querySelectorAll('input[name="' + master.dataset.selectAll + '"]').forEach(function (box) {
    box.checked = master.checked;
  });
});

// Issue 17: no silent failures. A form sent by htmx clears the messages of earlier requests
// (its answer brings its own, or its errors), and an error htmx does not swap (403, 404, 500,
// no connection) says so instead of leaving the page as it was.
function showProblem(text) {
  const box = document.getElementById("messages");
  if (!box) return;
  const alert = document.createElement("div");
  alert.className = "alert alert-danger mt-3";
  alert.setAttribute("role", "alert");
  alert.textContent = text;
  box.replaceChildren(alert);
}

document.addEventListener("htmx:beforeRequest", function (event) {
  const source = event.detail.elt;
  const verb = (event.detail.requestConfig && event.detail.requestConfig.verb) || "get";
  if (verb !== "get" || (source && source.tagName === "FORM")) {
    const box = document.getElementById("messages");
    if (box) box.replaceChildren();
  }
});

document.addEventListener("htmx:responseError", function (event) {
  const status = event.detail.xhr ? event.detail.xhr.status : 0;
  const reasons = {
    403: "Your role does not allow this.",
    404: "This was not found: it may have been deleted meanwhile. Reload the page.",
    409: "Someone changed this at the same time: reload the page and try again.",
  };
  showProblem(
    (reasons[status] || "This did not work (the server answered " + status + ").") +
      " Reload the page to see where things stand."
  );
});

document.addEventListener("htmx:sendError", function () {
  showProblem("The server could not be reached: check the connection and try again.");
});
