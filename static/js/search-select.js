// Issue 17: a long <select> searches as you type (tom-select, vendored under static/vendor/).
//
// - A plain select with more than LONG options (currencies, countries, products, tax codes),
//   or one marked `data-search`, filters its own options in the browser.
// - A select with `data-options-url` (accounts.platform.forms.RemoteSearchSelect: accounts,
//   projects, contacts) holds only the chosen row; typing asks that tenant URL, the same one the
//   list filters use, which answers <option>s, at most 20.
// `data-search="off"` keeps a select as it is. Runs on the page and on every htmx swap.
(function () {
  const LONG = 15;

  function optionsOf(html) {
    const holder = document.createElement("select");
    holder.innerHTML = html;
    return Array.from(holder.options)
      .filter(function (option) { return option.value !== "" && !option.disabled; })
      .map(function (option) { return {value: option.value, text: option.textContent}; });
  }

  function remoteSettings(url) {
    const join = url.indexOf("?") === -1 ? "?" : "&";
    return {
      valueField: "value",
      labelField: "text",
      searchField: ["text"],
      shouldLoad: function (query) { return query.trim().length > 0; },
      load: function (query, callback) {
        fetch(url + join + "q=" + encodeURIComponent(query), {credentials: "same-origin"})
          .then(function (response) { return response.ok ? response.text() : ""; })
          .then(function (html) { callback(optionsOf(html)); })
          .catch(function () { callback(); });
      },
    };
  }

  function enhance(root) {
    if (!window.TomSelect || !root.querySelectorAll) return;
    const selects = root.matches && root.matches("select") ? [root] : root.querySelectorAll("select");
    selects.forEach(function (select) {
      if (select.tomselect || select.multiple || select.dataset.search === "off") return;
      const url = select.dataset.optionsUrl;
      if (!url && !("search" in select.dataset) && select.options.length <= LONG) return;
      const settings = Object.assign(
        {maxOptions: null, allowEmptyOption: true, openOnFocus: true},
        url ? remoteSettings(url) : {}
      );
      if (url) {
        // An empty searched field shows what to do ("Type a few letters to search") rather
        // than Django's "---------" with the typed letters after it; an optional one can be
        // emptied again with its × button.
        settings.allowEmptyOption = false;
        settings.placeholder = select.dataset.placeholder || "";
        if (!select.required) {
          settings.plugins = {clear_button: {title: select.dataset.clearTitle || "Clear"}};
        }
      }
      new TomSelect(select, settings);
      // tom-select points the <label> at its own input and keeps the original select (out of
      // the tab order) for the form only: assistive technology meets the field once.
      select.setAttribute("aria-hidden", "true");
    });
  }

  // A page restored from htmx's history is a copy of the enhanced page: put the selects back
  // as they were before the copy is taken, so that they are enhanced once again.
  document.addEventListener("htmx:beforeHistorySave", function () {
    document.querySelectorAll("select.tomselected").forEach(function (select) {
      if (select.tomselect) select.tomselect.destroy();
    });
  });

  if (window.htmx) {
    htmx.onLoad(enhance);
  } else {
    document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  }
})();
