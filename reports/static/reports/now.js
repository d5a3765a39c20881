// loopmonitor's Now panel (reports/_now_panel.html): the caller's open incidents, worst first
// (GET /api/incidents/?state=open&order=worst), refreshed every few seconds. Plain JavaScript on
// the logged-in session; it only sets text, never markup.
(function () {
  "use strict";

  const SHOWN = 20;

  function cell(text, href) {
    const td = document.createElement("td");
    if (href) {
      const a = document.createElement("a");
      a.href = href;
      a.textContent = text;
      td.append(a);
    } else {
      td.textContent = text;
    }
    return td;
  }

  /** "2023-01-23 11:44 (America/New_York)" from a local ISO 8601 time and its zone. */
  function local(iso, zone) {
    if (!iso) return "before the first poll (start unknown)";
    return `${iso.slice(0, 16).replace("T", " ")} (${zone})`;
  }

  function render(incidents, count) {
    const rows = document.getElementById("now-rows");
    const table = document.getElementById("now-table");
    const status = document.getElementById("now-status");
    rows.replaceChildren();
    for (const incident of incidents.slice(0, SHOWN)) {
      const tr = document.createElement("tr");
      tr.append(
        cell(incident.store_id, `/stores/${encodeURIComponent(incident.store_id)}`),
        cell(local(incident.started_at_local, incident.timezone)),
        cell(String(incident.open_minutes)),
        cell(incident.last_observed_at.slice(0, 16).replace("T", " ") + " UTC"),
      );
      rows.append(tr);
    }
    table.hidden = incidents.length === 0;
    const more = count > SHOWN ? ` (the worst ${SHOWN} shown)` : "";
    status.textContent =
      count === 0
        ? "No store is dark during its business hours."
        : `${count} store incident(s) open${more}; updated ${new Date().toLocaleTimeString()}.`;
  }

  async function refresh() {
    const status = document.getElementById("now-status");
    try {
      const answer = await fetch("/api/incidents/?state=open&order=worst", {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!answer.ok) {
        status.textContent = `Open incidents could not be read (${answer.status}).`;
        return;
      }
      const page = await answer.json();
      render(page.results, page.count);
    } catch (error) {
      status.textContent = `Open incidents could not be read: ${error}.`;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const section = document.getElementById("now-section");
    if (!section) return;
    const seconds = Number(section.dataset.refreshSeconds) || 5;
    refresh();
    setInterval(refresh, seconds * 1000);
  });
})();
