// digest serve: reload the page when a new build is ready, and show content problems
// over the page while they last. The dev server adds this script to the HTML it
// serves (data-build: the build the page came from); built files never contain it.
// It is a file, not inline code, because the pages' Content-Security-Policy allows
// scripts from the site itself only. Styles are set through the DOM for the same
// reason (style-src 'self' refuses style attributes, not CSSOM properties).
(function () {
  "use strict";
  var script = document.currentScript;
  var shown = Number((script && script.dataset.build) || 0);
  var panel = null;

  function hide() {
    if (panel) {
      panel.remove();
      panel = null;
    }
  }

  function show(status) {
    hide();
    panel = document.createElement("section");
    panel.id = "digest-problems";
    panel.setAttribute("role", "alert");
    panel.setAttribute("aria-label", "Problems in the entries");
    Object.assign(panel.style, {
      position: "fixed",
      left: "0",
      right: "0",
      bottom: "0",
      zIndex: "2147483647",
      maxHeight: "50vh",
      overflow: "auto",
      margin: "0",
      padding: "1rem 1.25rem",
      background: "#2b0d0d",
      color: "#fff6f0",
      borderTop: "4px solid #e0533d",
      font: "14px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
      boxShadow: "0 -4px 16px rgba(0, 0, 0, 0.4)",
    });
    var heading = document.createElement("h2");
    heading.textContent =
      status.summary +
      (status.build ? ": showing the last good build" : ": nothing built yet");
    Object.assign(heading.style, { margin: "0 0 0.5rem", font: "inherit", fontWeight: "700" });
    panel.appendChild(heading);
    var list = document.createElement("ul");
    Object.assign(list.style, { margin: "0", padding: "0", listStyle: "none" });
    status.problems.forEach(function (line) {
      var item = document.createElement("li");
      item.textContent = line; // text, never markup: problem lines quote the content
      item.style.whiteSpace = "pre-wrap";
      list.appendChild(item);
    });
    panel.appendChild(list);
    var note = document.createElement("p");
    note.textContent = "Fix the file and save: this page reloads by itself.";
    Object.assign(note.style, { margin: "0.5rem 0 0", opacity: "0.8" });
    panel.appendChild(note);
    document.body.appendChild(panel);
  }

  function update(status) {
    if (status.problems.length) {
      show(status);
    } else if (status.build !== shown) {
      location.reload();
    } else {
      hide();
    }
  }

  var events = new EventSource("/__digest__/events");
  events.addEventListener("open", function () {
    // Says "this page follows the builds" (for a look in the inspector, and for tests).
    document.documentElement.setAttribute("data-digest-live", "");
  });
  events.addEventListener("status", function (event) {
    update(JSON.parse(event.data));
  });
})();
