// Small behaviours shared by every page; no inline scripts (the content security policy forbids them).
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
