/* digest: search and the archive filters, in the browser, over search/index.json.

   Our own script, served from the site, with no dependencies (see the README, "Finding
   things", for why not Pagefind). It runs on two pages:

   - /search/ (the element #search-app): every word of the query must occur somewhere in
     an item (titles, body text, agency keys, names and Chinese names, tags), compared
     after folding width and case (NFKC, then upper and lower case), so "网信" finds
     "国家互联网信息办公室" and "ＣＡＣ" finds "CAC". Title matches rank first, then
     newest first. Facets (section, agency, year, tag) narrow the results; each shows
     counts over the results as the other facets narrow them.
   - /archive/ (the element #archive-filters): section, agency and year filters over
     every item, not only the page's.

   The state lives in the URL (?q=&section=&agency=&year=&tag=): every change is a
   history entry, so a search can be shared and the back button restores it. Results
   are built from DOM nodes and text nodes only (never innerHTML), so nothing in the
   data can become markup. Without this script both pages still work as plain pages. */

(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) {
    return;
  }
  var INDEX_URL = script.getAttribute("data-index");
  var ARCHIVE_URL = script.getAttribute("data-archive");
  var STEP = 50; // results shown at once; "Show more" adds as many again

  /* ---- Folding and matching ------------------------------------------------------ */

  /** Width and case folded: NFKC (full-width letters, ligatures), then upper and lower
      case, which also folds what lower case alone keeps ("ß" and "ss"). */
  function fold(text) {
    return text.normalize("NFKC").toUpperCase().toLowerCase();
  }

  /** The query's terms, folded: words, or "quoted phrases" kept whole. */
  function terms(query) {
    var found = [];
    var rest = fold(query).replace(/["\u201c\u201d]([^"\u201c\u201d]*)["\u201c\u201d]?/g, function (m, phrase) {
      var t = phrase.trim().replace(/\s+/g, " ");
      if (t) {
        found.push(t);
      }
      return " ";
    });
    rest.split(/\s+/).forEach(function (word) {
      if (word) {
        found.push(word);
      }
    });
    return found.filter(function (t, i) {
      return found.indexOf(t) === i;
    });
  }

  /** `text` folded character by character, with where each folded code unit came from
      in `text`: for highlighting matches in the original. */
  function foldMap(text) {
    var folded = "";
    var from = [];
    var to = [];
    var at = 0;
    for (var ch of text) {
      var f = fold(ch);
      for (var k = 0; k < f.length; k++) {
        from.push(at);
        to.push(at + ch.length);
      }
      folded += f;
      at += ch.length;
    }
    return { folded: folded, from: from, to: to };
  }

  /** The ranges of `text` where any of `words` occurs: sorted, overlaps merged. */
  function ranges(text, words) {
    var map = foldMap(text);
    var found = [];
    words.forEach(function (w) {
      var i = map.folded.indexOf(w);
      while (i >= 0 && w) {
        found.push([map.from[i], map.to[i + w.length - 1]]);
        i = map.folded.indexOf(w, i + w.length);
      }
    });
    found.sort(function (a, b) {
      return a[0] - b[0] || a[1] - b[1];
    });
    var merged = [];
    found.forEach(function (r) {
      var last = merged[merged.length - 1];
      if (last && r[0] <= last[1]) {
        last[1] = Math.max(last[1], r[1]);
      } else {
        merged.push([r[0], r[1]]);
      }
    });
    return merged;
  }

  /** `text` as text nodes, with each match of `words` in a <mark>. */
  function highlighted(text, words) {
    var out = document.createDocumentFragment();
    var at = 0;
    ranges(text, words).forEach(function (r) {
      out.append(text.slice(at, r[0]), el("mark", {}, text.slice(r[0], r[1])));
      at = r[1];
    });
    out.append(text.slice(at));
    return out;
  }

  /** About 240 characters of the body around its first match, cut at spaces where
      there are spaces (Chinese text has none), the matches marked. */
  function snippet(text, words) {
    var first = ranges(text, words)[0];
    var start = 0;
    if (first && first[0] > 80) {
      start = first[0] - 70;
      var space = text.lastIndexOf(" ", start);
      start = space >= 0 && start - space < 20 ? space + 1 : start;
    }
    var end = Math.min(text.length, start + 240);
    if (end < text.length) {
      var cut = text.lastIndexOf(" ", end);
      end = cut > start && end - cut < 20 ? cut : end;
    }
    var out = document.createDocumentFragment();
    out.append(start > 0 ? "… " : "", highlighted(text.slice(start, end), words));
    out.append(end < text.length ? " …" : "");
    return out;
  }

  /* ---- DOM helpers ------------------------------------------------------------- */

  function el(tag, attrs, ...children) {
    var node = document.createElement(tag);
    Object.keys(attrs).forEach(function (name) {
      node.setAttribute(name, attrs[name]);
    });
    node.append(...children);
    return node;
  }

  function plural(n, one, many) {
    return n.toLocaleString("en-US") + " " + (n === 1 ? one : many);
  }

  /* ---- The index --------------------------------------------------------------- */

  function Index(data) {
    var col = {};
    data.fields.forEach(function (name, i) {
      col[name] = i;
    });
    this.months = data.months;
    this.sections = new Map(
      data.sections.map(function (s) {
        return [s[0], { key: s[0], title: s[1], href: s[2] }];
      })
    );
    this.agencies = new Map(
      data.agencies.map(function (a) {
        return [a[0], { key: a[0], name: a[1], zh: a[2], href: a[3] }];
      })
    );
    this.years = data.years.map(String);
    this.tags = data.tags;
    var agencies = this.agencies;
    this.items = data.items.map(function (row, rank) {
      var item = {
        rank: rank, // the index is newest first: rank is "newest first"
        id: row[col.id],
        url: row[col.url],
        title: row[col.title],
        titleZh: row[col.title_zh],
        date: row[col.date],
        precision: row[col.precision],
        section: row[col.section],
        agencies: row[col.agencies],
        tags: row[col.tags],
        text: row[col.text],
        hay: null, // folded on the first search, not on load
        titleHay: null,
      };
      item.year = item.date.slice(0, 4);
      return item;
    });
    this.prepare = function (item) {
      if (item.hay !== null) {
        return;
      }
      var names = item.agencies.map(function (key) {
        var a = agencies.get(key);
        return a ? [key, a.name, a.zh || ""].join("\n") : key;
      });
      item.titleHay = fold(item.title + "\n" + (item.titleZh || ""));
      // "\n" between fields: no query term has one, so none matches across two fields.
      item.hay = fold(
        [item.title, item.titleZh || "", item.text, names.join("\n"), item.tags.join("\n")].join(
          "\n"
        )
      );
    };
  }

  /** The items that have every term, title matches first, then newest first. */
  Index.prototype.search = function (words) {
    if (!words.length) {
      return this.items.slice();
    }
    var found = [];
    var self = this;
    this.items.forEach(function (item) {
      self.prepare(item);
      for (var i = 0; i < words.length; i++) {
        if (item.hay.indexOf(words[i]) < 0) {
          return;
        }
      }
      var inTitle = words.filter(function (w) {
        return item.titleHay.indexOf(w) >= 0;
      }).length;
      found.push({ item: item, score: inTitle });
    });
    found.sort(function (a, b) {
      return b.score - a.score || a.item.rank - b.item.rank;
    });
    return found.map(function (f) {
      return f.item;
    });
  };

  Index.prototype.dateText = function (item) {
    var month = this.months[Number(item.date.slice(5, 7)) - 1];
    return item.precision === "month"
      ? month + " " + item.year
      : month + " " + Number(item.date.slice(8, 10)) + ", " + item.year;
  };

  /* ---- Facets ------------------------------------------------------------------- */

  /** Each facet: its URL parameter, label, the item's values, the choices in order and
      how one reads. */
  function facetDefs(index) {
    return {
      section: {
        label: "Section",
        all: "All sections",
        values: function (item) {
          return [item.section];
        },
        choices: Array.from(index.sections.keys()),
        text: function (key) {
          var s = index.sections.get(key);
          return s ? s.title : key;
        },
      },
      agency: {
        label: "Agency",
        all: "All agencies",
        values: function (item) {
          return item.agencies;
        },
        choices: Array.from(index.agencies.keys()),
        text: function (key) {
          var a = index.agencies.get(key);
          return !a || a.name === key ? key : key + ": " + a.name;
        },
      },
      year: {
        label: "Year",
        all: "All years",
        values: function (item) {
          return [item.year];
        },
        choices: index.years,
        text: String,
      },
      tag: {
        label: "Tag",
        all: "All tags",
        values: function (item) {
          return item.tags;
        },
        choices: index.tags,
        text: String,
      },
    };
  }

  /** Per facet, value -> count over `found` narrowed by every other facet's choice (so
      a facet's other values stay in view, with what choosing them would give). */
  // For each dimension, how many items the other choices leave: the count shown beside
  // the "all" option of that dimension's control.
  function totals(items, state, dims, defs) {
    var total = {};
    dims.forEach(function (d) {
      var others = Object.assign({}, state);
      others[d] = "";
      total[d] = narrowed(items, others, dims, defs).length;
    });
    return total;
  }

  function facetCounts(found, state, dims, defs) {
    var counts = {};
    dims.forEach(function (d) {
      counts[d] = new Map();
    });
    found.forEach(function (item) {
      var failed = [];
      dims.forEach(function (d) {
        if (state[d] && defs[d].values(item).indexOf(state[d]) < 0) {
          failed.push(d);
        }
      });
      if (failed.length > 1) {
        return;
      }
      dims.forEach(function (d) {
        if (failed.length === 1 && failed[0] !== d) {
          return;
        }
        defs[d].values(item).forEach(function (v) {
          counts[d].set(v, (counts[d].get(v) || 0) + 1);
        });
      });
    });
    return counts;
  }

  function narrowed(found, state, dims, defs) {
    return found.filter(function (item) {
      return dims.every(function (d) {
        return !state[d] || defs[d].values(item).indexOf(state[d]) >= 0;
      });
    });
  }

  /** A labelled <select> per facet in `box`; `onchange(dim, value)` on a choice. */
  function facetControls(box, prefix, dims, defs, onchange) {
    var selects = {};
    dims.forEach(function (d) {
      var select = el("select", { id: prefix + d, name: d });
      select.addEventListener("change", function () {
        onchange(d, select.value);
      });
      box.append(el("div", { class: "facet" }, el("label", { for: prefix + d }, defs[d].label), select));
      selects[d] = select;
    });
    return selects;
  }

  /** Fill the selects: "All ..." and every value with results (and the chosen one,
      even without), each with its count. */
  function fillControls(selects, counts, total, state, dims, defs) {
    dims.forEach(function (d) {
      var select = selects[d];
      var options = [el("option", { value: "" }, defs[d].all + " (" + total[d] + ")")];
      defs[d].choices.forEach(function (v) {
        var n = counts[d].get(v) || 0;
        if (n > 0 || v === state[d]) {
          options.push(el("option", { value: v }, defs[d].text(v) + " (" + n + ")"));
        }
      });
      if (state[d] && defs[d].choices.indexOf(state[d]) < 0) {
        options.push(el("option", { value: state[d] }, state[d] + " (0)"));
      }
      select.replaceChildren(...options);
      select.value = state[d];
    });
  }

  /* ---- URL state ----------------------------------------------------------------- */

  function readState(keys) {
    var params = new URLSearchParams(window.location.search);
    var state = {};
    keys.forEach(function (k) {
      state[k] = (params.get(k) || "").trim();
    });
    return state;
  }

  /** A history entry for `state` (none when the URL would not change). */
  function pushState(state, keys, path) {
    var params = new URLSearchParams();
    keys.forEach(function (k) {
      if (state[k]) {
        params.set(k, state[k]);
      }
    });
    var query = params.toString();
    var url = (path || window.location.pathname) + (query ? "?" + query : "");
    if (url !== window.location.pathname + window.location.search) {
      window.history.pushState(null, "", url);
    }
  }

  function loadIndex() {
    return fetch(INDEX_URL, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        return new Index(data);
      });
  }

  function itemMeta(index, item) {
    var meta = el("p", { class: "meta" });
    var iso = item.precision === "month" ? item.date.slice(0, 7) : item.date;
    meta.append(el("time", { datetime: iso }, index.dateText(item)));
    var section = index.sections.get(item.section);
    if (section) {
      meta.append(" · ", el("a", { href: section.href }, section.title));
    }
    meta.append(" · ");
    item.agencies.forEach(function (key, i) {
      var a = index.agencies.get(key);
      meta.append(i ? ", " : "", a ? el("a", { href: a.href }, key) : key);
    });
    return meta;
  }

  /* ---- The search page ----------------------------------------------------------- */

  function searchPage(app) {
    var KEYS = ["q", "section", "agency", "year", "tag"];
    var DIMS = ["section", "agency", "year", "tag"];
    var status = document.getElementById("search-status");
    var list = document.getElementById("search-results");
    var more = document.getElementById("search-more");
    var input = document.getElementById("q");
    var form = document.getElementById("search-form");
    var nojs = document.getElementById("search-nojs");
    var index = null;
    var defs = null;
    var selects = null;
    var state = readState(KEYS);
    var shown = [];
    var words = [];
    var count = 0;

    nojs.hidden = true;
    app.hidden = false;
    input.value = state.q;
    status.textContent = "Loading the search index…";

    function showMore() {
      var next = shown.slice(count, count + STEP);
      next.forEach(function (item) {
        var li = el("li", { class: "result" });
        li.append(el("h2", { class: "result-title" }, el("a", { href: item.url }, highlighted(item.title, words))));
        if (item.titleZh) {
          li.append(el("p", { class: "title-zh", lang: "zh-Hans" }, highlighted(item.titleZh, words)));
        }
        li.append(itemMeta(index, item), el("p", { class: "snippet" }, snippet(item.text, words)));
        list.append(li);
      });
      count += next.length;
      more.hidden = count >= shown.length;
      more.textContent = "Show more results (" + (shown.length - count) + " more)";
    }

    function render() {
      words = terms(state.q);
      var found = index.search(words);
      var counts = facetCounts(found, state, DIMS, defs);
      var results = narrowed(found, state, DIMS, defs);
      fillControls(selects, counts, totals(found, state, DIMS, defs), state, DIMS, defs);
      var chosen = DIMS.filter(function (d) {
        return state[d];
      }).map(function (d) {
        return defs[d].text(state[d]);
      });
      list.replaceChildren();
      count = 0;
      if (!words.length && !chosen.length) {
        shown = [];
        status.textContent =
          "Type words to find, or choose a section, agency, year or tag (" +
          plural(index.items.length, "item", "items") +
          " in all).";
        more.hidden = true;
        return;
      }
      shown = results;
      var text = plural(results.length, "result", "results");
      if (state.q) {
        text += " for “" + state.q + "”";
      }
      if (chosen.length) {
        text += " in " + chosen.join("; ");
      }
      status.textContent = text + ".";
      showMore();
    }

    function change(next) {
      state = next;
      pushState(state, KEYS);
      render();
    }

    function submitted(event, field) {
      event.preventDefault();
      var next = Object.assign({}, state, { q: field.value.trim() });
      input.value = next.q;
      change(next);
    }

    more.addEventListener("click", showMore);
    form.addEventListener("submit", function (event) {
      submitted(event, input);
    });
    // The masthead's search box, on this page, searches in place too.
    var siteForm = document.querySelector("form.site-search");
    if (siteForm && siteForm.elements.q) {
      siteForm.addEventListener("submit", function (event) {
        submitted(event, siteForm.elements.q);
      });
    }
    window.addEventListener("popstate", function () {
      state = readState(KEYS);
      input.value = state.q;
      if (index) {
        render();
      }
    });

    loadIndex().then(
      function (loaded) {
        index = loaded;
        defs = facetDefs(index);
        selects = facetControls(document.getElementById("search-facets"), "facet-", DIMS, defs, function (d, v) {
          var next = Object.assign({}, state);
          next[d] = v;
          change(next);
        });
        render();
      },
      function (error) {
        status.textContent = "The search index could not be loaded (" + error.message + ").";
        nojs.hidden = false;
      }
    );
  }

  /* ---- The archive filters ------------------------------------------------------- */

  function archivePage(box) {
    var DIMS = ["section", "agency", "year"];
    var status = document.getElementById("archive-status");
    var reset = document.getElementById("archive-reset");
    var results = document.getElementById("archive-results");
    var list = document.getElementById("archive-list");
    var state = readState(DIMS);
    var index = null;
    var defs = null;
    var selects = null;
    var shown = [];
    var count = 0;
    var more = el("button", { type: "button", class: "more-button" });
    var groups = null; // the list being filled: its last year and month, <ul>

    function addRows() {
      var next = shown.slice(count, count + STEP);
      next.forEach(function (item) {
        var month = item.date.slice(0, 7);
        if (!groups || groups.month !== month) {
          var year = item.year;
          if (!groups || groups.year !== year) {
            results.insertBefore(el("h2", { class: "year" }, year), more.parentNode);
          }
          var ul = el("ul", { class: "list" });
          results.insertBefore(
            el("section", {}, el("h3", {}, index.months[Number(month.slice(5)) - 1] + " " + year), ul),
            more.parentNode
          );
          groups = { year: year, month: month, ul: ul };
        }
        var li = el("li", { class: "row" }, el("a", { href: item.url }, item.title), " ");
        var meta = itemMeta(index, item);
        li.append(el("span", { class: "meta" }, ...meta.childNodes));
        groups.ul.append(li);
      });
      count += next.length;
      more.hidden = count >= shown.length;
      more.textContent = "Show more items (" + (shown.length - count) + " more)";
    }

    function render() {
      var all = index.items;
      var counts = facetCounts(all, state, DIMS, defs);
      fillControls(selects, counts, totals(all, state, DIMS, defs), state, DIMS, defs);
      var active = DIMS.some(function (d) {
        return state[d];
      });
      results.replaceChildren(el("p", {}, more));
      groups = null;
      count = 0;
      if (!active) {
        shown = [];
        status.textContent = "Showing all " + plural(all.length, "item", "items") + ".";
        reset.hidden = true;
        results.hidden = true;
        list.hidden = false;
        return;
      }
      shown = narrowed(all, state, DIMS, defs);
      status.textContent =
        "Showing " + shown.length.toLocaleString("en-US") + " of " + plural(all.length, "item", "items") + ".";
      reset.hidden = false;
      list.hidden = true;
      results.hidden = false;
      if (!shown.length) {
        results.prepend(el("p", {}, "No item matches these filters."));
      }
      addRows();
    }

    more.addEventListener("click", addRows);
    reset.addEventListener("click", function (event) {
      // On the archive's first page the full list is this page's own: no reload.
      if (window.location.pathname === ARCHIVE_URL && index) {
        event.preventDefault();
        state = readState([]);
        pushState(state, DIMS);
        render();
      }
    });
    window.addEventListener("popstate", function () {
      state = readState(DIMS);
      if (index) {
        render();
      }
    });

    loadIndex().then(
      function (loaded) {
        index = loaded;
        defs = facetDefs(index);
        selects = facetControls(document.getElementById("archive-facets"), "filter-", DIMS, defs, function (d, v) {
          state = Object.assign({}, state);
          state[d] = v;
          pushState(state, DIMS);
          render();
        });
        box.hidden = false;
        render();
      },
      function () {
        // The paginated list stays, complete: the filters are only an addition.
      }
    );
  }

  var searchApp = document.getElementById("search-app");
  var archiveBox = document.getElementById("archive-filters");
  if (searchApp) {
    searchPage(searchApp);
  } else if (archiveBox && ARCHIVE_URL) {
    archivePage(archiveBox);
  }
})();
