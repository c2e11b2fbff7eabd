// The party form's film picker: search as you type, on top of a plain text field that works
// without this file (the server then asks "Did you mean …?"). An ARIA combobox with a listbox:
// Down/Up move through the results, Enter picks, Escape closes. A pick shows "Title (Year)" in
// the field and puts the film's slug in the hidden film_slug; typing again clears it.
(function () {
  "use strict";

  var DELAY_MS = 150;
  var MIN_CHARS = 2;

  function setUp(root) {
    var input = root.querySelector("input[name=film]");
    var slug = root.querySelector("input[name=film_slug]");
    var url = root.getAttribute("data-search-url");
    if (!input || !slug || !url || !window.fetch) return;

    var listId = input.id + "-results";
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "film-picker__list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Titles matching what you typed");
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    input.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("aria-expanded", "false");

    var results = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    function options() {
      return list.querySelectorAll("[role=option]");
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var all = options();
      if (!all.length) return;
      active = (index + all.length) % all.length;
      for (var i = 0; i < all.length; i++) {
        all[i].setAttribute("aria-selected", i === active ? "true" : "false");
      }
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    }

    function pick(index) {
      var film = results[index];
      if (!film) return;
      input.value = film.label;
      slug.value = film.slug;
      close();
      status.textContent = film.label + " chosen.";
    }

    function show(found) {
      results = found;
      list.textContent = "";
      found.forEach(function (film, index) {
        var option = document.createElement("li");
        option.id = listId + "-" + index;
        option.className = "film-picker__option";
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        var poster = document.createElement("img");
        poster.src = film.poster;
        poster.alt = "";
        poster.width = 32;
        poster.height = 48;
        var title = document.createElement("span");
        title.className = "film-picker__title";
        title.textContent = film.title;
        var year = document.createElement("span");
        year.className = "film-picker__year";
        year.textContent = " (" + film.year + ")";
        title.appendChild(year);
        option.appendChild(poster);
        option.appendChild(title);
        // mousedown, not click: the field keeps focus, so the list is not closed by blur first.
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          pick(index);
        });
        list.appendChild(option);
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (found.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        status.textContent = found.length + (found.length === 1 ? " film found." : " films found.") +
          " Use the up and down arrows to choose.";
      } else {
        close();
        status.textContent = "No film found yet: keep typing, or save and we will ask.";
      }
    }

    function search() {
      var query = input.value.trim();
      var ticket = ++asked;
      if (query.length < MIN_CHARS) {
        results = [];
        close();
        return;
      }
      fetch(url + "?q=" + encodeURIComponent(query), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          return response.ok ? response.json() : { results: [] };
        })
        .then(function (data) {
          if (ticket === asked) show(data.results || []);
        })
        .catch(function () {
          if (ticket === asked) close();
        });
    }

    input.addEventListener("input", function () {
      slug.value = "";
      window.clearTimeout(timer);
      timer = window.setTimeout(search, DELAY_MS);
    });

    input.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open && results.length) {
          list.hidden = false;
          input.setAttribute("aria-expanded", "true");
        }
        highlight(active + 1);
      } else if (event.key === "ArrowUp") {
        if (!open) return;
        event.preventDefault();
        highlight(active - 1);
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault(); // picks the film; does not send the form
          pick(active);
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        }
      }
    });

    input.addEventListener("blur", function () {
      close();
    });
  }

  function start() {
    var pickers = document.querySelectorAll(".film-picker[data-search-url]");
    for (var i = 0; i < pickers.length; i++) setUp(pickers[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
