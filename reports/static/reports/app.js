// loopmonitor's page: trigger and watch reports, list them, look stores up.
// Plain JavaScript over the public API (README "Using it"); no build step.
(function () {
  "use strict";

  const POLL_EVERY_MS = 300;
  const LIST_REFRESH_MS = 2000; // while some listed report is still unfinished
  const SEARCH_DEBOUNCE_MS = 300;
  const MAX_NETWORK_FAILURES = 20; // ~6 s of a silent server before the page gives up watching

  const $ = (id) => document.getElementById(id);

  // --- small helpers ---------------------------------------------------------

  /** An element with attributes (`class`, `text`, on* handlers, others as attributes) and children. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") el.className = value;
      else if (key === "text") el.textContent = value;
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  function cookie(name) {
    for (const part of document.cookie.split(";")) {
      const [key, ...rest] = part.trim().split("=");
      if (key === name) return decodeURIComponent(rest.join("="));
    }
    return "";
  }

  async function readJson(response) {
    try {
      return await response.json();
    } catch (_) {
      return null;
    }
  }

  /** A readable sentence from an API error body (`detail`, or DRF's per-field lists). */
  function errorText(body, response) {
    if (body && typeof body === "object") {
      if (typeof body.detail === "string") return body.detail;
      if (Array.isArray(body.detail)) return body.detail.join(" ");
      const parts = Object.entries(body).map(([field, messages]) => {
        const text = Array.isArray(messages) ? messages.join(" ") : typeof messages === "string" ? messages : JSON.stringify(messages);
        return field === "non_field_errors" ? text : `${field}: ${text}`;
      });
      if (parts.length) return parts.join(" · ");
    }
    return response ? `The server answered HTTP ${response.status}${response.statusText ? " " + response.statusText : ""}.` : "No answer from the server.";
  }

  /** "2023-01-23 17:00 UTC" from an ISO 8601 instant (seconds kept when not zero). */
  function formatInstant(iso) {
    if (!iso) return "—";
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return String(iso);
    const text = date.toISOString().replace("T", " ");
    return (text.slice(17, 19) === "00" ? text.slice(0, 16) : text.slice(0, 19)) + " UTC";
  }

  function timeEl(iso) {
    return h("time", { datetime: iso || null, title: iso || null }, formatInstant(iso));
  }

  function formatDuration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    const s = Number(seconds);
    if (s < 1) return `${Math.round(s * 1000)} ms`;
    if (s < 60) return `${s.toFixed(1)} s`;
    return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  }

  function formatNumber(value) {
    if (value === null || value === undefined || value === "") return "—";
    const n = Number(value);
    return Number.isFinite(n) ? n.toLocaleString("en-US", { minimumFractionDigits: 0, maximumFractionDigits: 2 }) : String(value);
  }

  const shortId = (id) => String(id).slice(0, 8);

  // Status is told by an icon and a word, never by colour alone.
  const STATUS_ICONS = { Complete: "✓", Failed: "✕", Running: "◔", Pending: "…" };

  function badge(status, extra) {
    const known = status in STATUS_ICONS ? status : "Pending";
    return h(
      "span",
      { class: `badge badge--${known.toLowerCase()}` },
      h("span", { class: "badge__icon", "aria-hidden": "true" }, STATUS_ICONS[known]),
      extra ? `${status} ${extra}` : status
    );
  }

  function setProgress(el, fraction, text) {
    const bar = el.querySelector(".progress__bar");
    if (fraction === null || fraction === undefined) {
      el.classList.add("progress--indeterminate");
      el.removeAttribute("aria-valuenow");
      bar.style.width = "";
    } else {
      const pct = Math.max(0, Math.min(100, Math.round(Number(fraction) * 100)));
      el.classList.remove("progress--indeterminate");
      el.setAttribute("aria-valuenow", String(pct));
      bar.style.width = `${pct}%`;
    }
    el.setAttribute("aria-valuetext", text);
  }

  // --- running one report ----------------------------------------------------

  let watched = null; // {id, startedAt, failures, timer}

  function showTriggerError(text) {
    const el = $("trigger-error");
    el.textContent = text;
    el.hidden = !text;
  }

  const TRIGGER_FIELDS = { as_of: "as-of", store_ids: "store-ids", brand: "brand" };

  function markInvalid(answer) {
    for (const [field, id] of Object.entries(TRIGGER_FIELDS)) {
      const invalid = Boolean(answer && typeof answer === "object" && (field in answer || (field === "store_ids" && "unknown_store_ids" in answer)));
      if (invalid) $(id).setAttribute("aria-invalid", "true");
      else $(id).removeAttribute("aria-invalid");
    }
  }

  async function triggerReport(event) {
    event.preventDefault();
    showTriggerError("");
    markInvalid(null);
    const asOf = $("as-of").value.trim();
    const storeIds = $("store-ids").value.split(",").map((s) => s.trim()).filter(Boolean);
    const body = {};
    if (asOf) body.as_of = asOf;
    if (storeIds.length) body.store_ids = storeIds;
    const brand = $("brand-field").hidden ? "" : $("brand").value;
    if (brand) body.brand = brand;

    const button = $("trigger-button");
    button.disabled = true;
    button.textContent = "Starting…";
    try {
      const response = await fetch("/trigger_report", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": cookie("csrftoken") },
        credentials: "same-origin",
        body: JSON.stringify(body),
      });
      const answer = await readJson(response);
      if (response.status !== 202 || !answer || !answer.report_id) {
        showTriggerError(`The report was not started: ${errorText(answer, response)}`);
        markInvalid(answer);
        return;
      }
      watchReport(answer.report_id);
      refreshReports();
    } catch (error) {
      showTriggerError(`The report was not started: the server could not be reached (${error.message}).`);
    } finally {
      button.disabled = false;
      button.textContent = "Run report";
    }
  }

  function watchReport(reportId) {
    if (watched) clearTimeout(watched.timer);
    watched = { id: reportId, startedAt: performance.now(), failures: 0, timer: null };
    const panel = $("current-report");
    panel.hidden = false;
    panel.dataset.reportId = reportId;
    panel.dataset.status = "Pending";
    $("current-report-id").textContent = shortId(reportId);
    $("current-report-id").title = reportId;
    $("current-report-status").replaceChildren(badge("Pending"));
    $("current-report-progress").hidden = false;
    setProgress($("current-report-progress"), null, "Waiting for a worker");
    $("current-report-message").replaceChildren("Queued; waiting for a worker…");
    pollReport(watched);
  }

  async function pollReport(watch) {
    if (watched !== watch) return; // a newer report replaced this one
    let response;
    try {
      response = await fetch(`/get_report/${encodeURIComponent(watch.id)}`, { cache: "no-store", credentials: "same-origin" });
    } catch (error) {
      watch.failures += 1;
      if (watch.failures >= MAX_NETWORK_FAILURES) {
        return showReportEnd(watch, "Failed", `Lost contact with the server (${error.message}). The report may still finish: see the list below.`);
      }
      $("current-report-message").textContent = "Connection lost; retrying…";
      watch.timer = setTimeout(() => pollReport(watch), POLL_EVERY_MS * 2);
      return;
    }
    if (watched !== watch) return;
    watch.failures = 0;

    if (response.headers.get("X-Report-Status") === "Complete") {
      // The body is the CSV itself: the link below downloads it, so do not read it here.
      if (response.body) response.body.cancel().catch(() => {});
      return showReportComplete(watch, response.headers);
    }
    const answer = await readJson(response);
    if (!response.ok) return showReportEnd(watch, "Failed", errorText(answer, response));
    if (answer && answer.status === "Failed") {
      return showReportEnd(watch, "Failed", answer.error || "The report failed without a reason.");
    }

    const hasProgress = answer && typeof answer.progress === "number";
    const pct = hasProgress ? Math.round(answer.progress * 100) : null;
    const elapsed = formatDuration((performance.now() - watch.startedAt) / 1000);
    // The API says Running for a queued report too; without progress no worker has it yet.
    $("current-report").dataset.status = hasProgress ? "Running" : "Pending";
    $("current-report-status").replaceChildren(hasProgress ? badge("Running", `${pct}%`) : badge("Pending"));
    setProgress($("current-report-progress"), hasProgress ? answer.progress : null, hasProgress ? `${pct}%` : "Waiting for a worker");
    $("current-report-message").replaceChildren(
      hasProgress ? `Computing… ${elapsed} so far` : `Queued; waiting for a worker… ${elapsed}`,
      answer && answer.as_of ? ` · as of ${formatInstant(answer.as_of)}` : ""
    );
    watch.timer = setTimeout(() => pollReport(watch), POLL_EVERY_MS);
  }

  function showReportComplete(watch, headers) {
    const rows = headers.get("X-Report-Rows");
    const asOf = headers.get("X-Report-As-Of");
    const panel = $("current-report");
    panel.dataset.status = "Complete";
    $("current-report-status").replaceChildren(badge("Complete"));
    setProgress($("current-report-progress"), 1, "Complete");
    $("current-report-message").replaceChildren(
      h(
        "a",
        {
          class: "button button--primary download",
          id: "current-report-download",
          href: `/get_report/${encodeURIComponent(watch.id)}`,
          download: `report-${watch.id}.csv`,
        },
        "Download CSV"
      ),
      h("a", { class: "button", id: "current-report-overview", href: `/reports/${encodeURIComponent(watch.id)}` }, "Open its overview"),
      h(
        "span",
        { class: "muted" },
        [rows !== null ? `${formatNumber(rows)} rows` : null, asOf ? `as of ${formatInstant(asOf)}` : null,
          `done in ${formatDuration((performance.now() - watch.startedAt) / 1000)}`].filter(Boolean).join(" · ")
      )
    );
    // What to know before trusting it (a report that read no polls), as the download's header says it.
    const warnings = headers.get("X-Report-Warnings");
    if (warnings) {
      $("current-report-message").append(
        h("span", { class: "alert alert--warn", id: "current-report-warnings" }, `This report ${warnings}`)
      );
    }
    watched = null;
    refreshReports();
  }

  function showReportEnd(watch, status, text) {
    const panel = $("current-report");
    panel.dataset.status = status;
    $("current-report-status").replaceChildren(badge(status));
    $("current-report-progress").hidden = true;
    $("current-report-message").replaceChildren(h("span", { class: "error-text" }, text));
    if (watched === watch) watched = null;
    refreshReports();
  }

  // --- the brand a report is of ------------------------------------------------

  const MAX_BRAND_PAGES = 20; // 1,000 brands: the selector's bound

  /** The brands the caller may trigger a report on, from GET /api/brands/?role=operator (every page). */
  async function operatorBrands() {
    const brands = [];
    let url = "/api/brands/?role=operator";
    for (let page = 0; url && page < MAX_BRAND_PAGES; page += 1) {
      const response = await fetch(url, { cache: "no-store", headers: { Accept: "application/json" } });
      const body = await readJson(response);
      if (!response.ok || !body) return brands; // no brand role (403): no selector
      brands.push(...(body.results || []));
      url = body.next;
    }
    return brands;
  }

  /**
   * The selector next to the trigger button. An operator of one brand needs none (its reports are that
   * brand's); an operator of several picks one; platform staff may pick one or leave it at the whole fleet.
   */
  async function loadBrands() {
    const staff = $("trigger-form").dataset.staff === "true";
    let brands;
    try {
      brands = await operatorBrands();
    } catch (_) {
      return; // the trigger then answers for itself, naming `brand` when it is needed
    }
    if (!staff && brands.length < 2) return;
    const select = $("brand");
    select.replaceChildren(
      h("option", { value: "" }, staff ? "Every store (the whole fleet)" : "Choose a brand…"),
      ...brands.map((brand) => h("option", { value: brand.slug }, `${brand.name} (${brand.slug})`))
    );
    select.required = !staff;
    $("brand-field").hidden = false;
  }

  // --- the list of reports ---------------------------------------------------

  let listTimer = null;

  async function refreshReports() {
    clearTimeout(listTimer);
    const errorEl = $("reports-error");
    let reports;
    try {
      const response = await fetch("/api/reports/", { cache: "no-store", headers: { Accept: "application/json" } });
      const body = await readJson(response);
      if (!response.ok) throw new Error(errorText(body, response));
      reports = (body && body.results) || [];
    } catch (error) {
      errorEl.textContent = `Could not load the reports: ${error.message}`;
      errorEl.hidden = false;
      return;
    }
    errorEl.hidden = true;
    const tbody = $("reports-body");
    if (!reports.length) {
      tbody.replaceChildren(h("tr", {}, h("td", { colspan: 7, class: "muted empty" }, "No reports yet. Run one above.")));
      return;
    }
    tbody.replaceChildren(...reports.map(reportRow));
    if (reports.some((r) => r.status === "Pending" || r.status === "Running")) {
      listTimer = setTimeout(refreshReports, LIST_REFRESH_MS);
    }
  }

  /** The overview's report (`/reports/<id>` or the latest), if the page shows one. */
  const shownReport = () => ($("overview") && $("overview").dataset.reportId) || "";

  function reportRow(report) {
    const progress = report.status === "Running" && typeof report.progress === "number" ? `${Math.round(report.progress * 100)}%` : "";
    let outcome;
    if (report.download_url) {
      const name = shortId(report.id);
      outcome = [
        h("a", { href: report.download_url, class: "download", download: `report-${report.id}.csv`, "aria-label": `Download report ${name} as CSV` }, "Download CSV"),
        " · ",
        h("a", { href: `${report.download_url}?format=xlsx`, class: "download-xlsx", download: `report-${report.id}.xlsx`, "aria-label": `Download report ${name} as XLSX` }, "XLSX"),
        " · ",
        report.id === shownReport()
          ? h("span", { class: "muted overview-link", "aria-current": "page" }, "shown above")
          : h("a", { href: `/reports/${encodeURIComponent(report.id)}`, class: "overview-link", "aria-label": `Overview of report ${name}` }, "Overview"),
      ];
    } else if (report.status === "Failed") {
      outcome = h("span", { class: "error-text", title: report.error || "" }, report.error || "Failed");
    } else {
      outcome = h("span", { class: "muted" }, "not ready");
    }
    return h(
      "tr",
      { "data-report-id": report.id, "data-status": report.status },
      h("td", { "data-label": "Status" }, badge(report.status, progress)),
      h("td", { "data-label": "As of" }, timeEl(report.as_of)),
      h("td", { "data-label": "Scope", "data-brand": report.brand || "" }, report.scope || "—"),
      h("td", { "data-label": "Created" }, timeEl(report.created_at)),
      h("td", { "data-label": "Duration", class: "num" }, formatDuration(report.duration_seconds)),
      h("td", { "data-label": "Rows", class: "num" }, formatNumber(report.row_count)),
      h(
        "td",
        { "data-label": "Report", class: "report-actions" },
        h("code", { class: "report-id", title: report.id }, shortId(report.id)),
        " ",
        outcome,
        ...(report.warnings && report.warnings.length
          ? [" ", h("span", { class: "tag tag--warn report-warning" }, report.warnings.join("; "))]
          : [])
      )
    );
  }

  // --- stores ------------------------------------------------------------------

  const WINDOWS = [
    { key: "hour", label: "Last hour", unit: "min", up: "uptime_last_hour_minutes", down: "downtime_last_hour_minutes" },
    { key: "day", label: "Last day", unit: "h", up: "uptime_last_day_hours", down: "downtime_last_day_hours" },
    { key: "week", label: "Last week", unit: "h", up: "uptime_last_week_hours", down: "downtime_last_week_hours" },
  ];

  let lookupSeq = 0;

  function storeHeading(storeId) {
    return h("h2", {}, "Store ", h("code", { id: "store-result-id" }, storeId));
  }

  function showStoreError(box, storeId, text) {
    box.dataset.state = "error";
    box.replaceChildren(storeId ? storeHeading(storeId) : "", h("p", { class: "alert alert--error", role: "alert" }, text));
  }

  async function lookupStore(storeId) {
    storeId = storeId.trim();
    const box = $("store-result");
    box.hidden = false;
    if (!storeId) {
      showStoreError(box, "", "Type a store id first.");
      $("store-id").focus();
      return;
    }
    const seq = ++lookupSeq;
    box.dataset.state = "loading";
    delete box.dataset.calendar;
    box.replaceChildren(storeHeading(storeId), h("p", { class: "muted" }, "Loading…"));
    const base = `/api/stores/${encodeURIComponent(storeId)}`;
    let response, body;
    try {
      response = await fetch(`${base}/uptime`, { cache: "no-store", headers: { Accept: "application/json" } });
      body = await readJson(response);
    } catch (error) {
      if (seq === lookupSeq) showStoreError(box, storeId, `Could not reach the server: ${error.message}`);
      return;
    }
    if (seq !== lookupSeq) return; // a newer lookup is under way
    if (!response.ok || !body) {
      const detail = errorText(body, response);
      showStoreError(
        box,
        storeId,
        response.status === 404
          ? `No store with id “${storeId}” was found.${detail && detail !== "Not found." ? " " + detail : ""}`
          : `Could not look store “${storeId}” up: ${detail}`
      );
      return;
    }
    box.dataset.state = "ready";
    box.replaceChildren(
      h(
        "div",
        { class: "store-result__head" },
        storeHeading(storeId),
        h("p", { class: "muted" }, `Timezone ${body.timezone || "unknown"} · as of `, timeEl(body.as_of))
      ),
      h("div", { class: "metrics", id: "store-metrics" }, WINDOWS.map((w) => metricTile(w, body))),
      timelineFigure(base, storeId),
      calendarSection(body.days || [])
    );
    box.scrollIntoView({ block: "nearest" });
    loadCalendar(base, body.days || [], seq);
  }

  // --- a store's calendar (docs/numbers.md rules 10, 11) ---------------------------

  const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  const RECENT_SPECIAL_DAYS = 28; // days before the week whose special days are listed as recent
  const UPCOMING_SPECIAL_DAYS = 90; // days after the week whose special days are listed as upcoming

  /** A local date "YYYY-MM-DD" as a Date at UTC midnight (local dates carry no timezone). */
  function dateValue(text) {
    const [y, m, d] = String(text).split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, d));
  }

  const weekday = (text) => WEEKDAYS[dateValue(text).getUTCDay()] || "";

  function addDays(text, days) {
    const date = dateValue(text);
    date.setUTCDate(date.getUTCDate() + days);
    return date.toISOString().slice(0, 10);
  }

  /** What gave a local date its periods, in words: the uptime answer's `days` entry. */
  function daySource(day) {
    if (day.source === "special") return day.closed ? "holiday: closed" : "special hours";
    if (day.source === "24x7") return "open 24×7";
    return day.effective_from ? `weekly hours from ${day.effective_from}` : "weekly hours";
  }

  function calendarSection(days) {
    return h(
      "div",
      { class: "calendar", id: "store-calendar" },
      h("h3", {}, "Calendar"),
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "table table--compact", id: "store-days" },
          h("caption", {}, "The week's local dates and the hours each one followed"),
          h("thead", {}, h("tr", {},
            h("th", { scope: "col" }, "Local date"),
            h("th", { scope: "col" }, "Weekday"),
            h("th", { scope: "col" }, "Hours from"),
            h("th", { scope: "col" }, "Open or closed"))),
          h(
            "tbody",
            {},
            days.length
              ? days.map((day) =>
                  h(
                    "tr",
                    { "data-date": day.date, "data-source": day.source, "data-closed": day.closed ? "true" : "false" },
                    h("th", { scope: "row" }, h("time", { datetime: day.date }, day.date)),
                    h("td", {}, weekday(day.date)),
                    h("td", { class: "day-source" }, daySource(day)),
                    h("td", {}, day.closed ? "closed" : "open")
                  )
                )
              : h("tr", {}, h("td", { colspan: "4", class: "muted" }, "No dates."))
          )
        )
      ),
      h("div", { id: "store-schedule", "aria-live": "polite" }, h("p", { class: "muted" }, "Loading the schedule…"))
    );
  }

  /** The store's versions and its special days near the week, from GET /api/stores/{id}. */
  async function loadCalendar(base, days, seq) {
    const box = $("store-schedule");
    const result = $("store-result");
    result.dataset.calendar = "loading";
    const params = new URLSearchParams();
    if (days.length) {
      params.set("special_from", addDays(days[0].date, -RECENT_SPECIAL_DAYS));
      params.set("special_until", addDays(days[days.length - 1].date, UPCOMING_SPECIAL_DAYS));
    }
    let response, body;
    try {
      response = await fetch(days.length ? `${base}?${params}` : base, { cache: "no-store", headers: { Accept: "application/json" } });
      body = await readJson(response);
    } catch (error) {
      if (seq !== lookupSeq) return;
      result.dataset.calendar = "error";
      box.replaceChildren(h("p", { class: "alert alert--warn" }, `The schedule could not be loaded: ${error.message}`));
      return;
    }
    if (seq !== lookupSeq) return;
    if (!response.ok || !body) {
      result.dataset.calendar = "error";
      box.replaceChildren(h("p", { class: "alert alert--warn" }, `The schedule could not be loaded: ${errorText(body, response)}`));
      return;
    }
    const newVersionDates = new Set((body.versions || []).map((v) => v.applies_from).filter(Boolean));
    for (const row of document.querySelectorAll("#store-days tbody tr[data-date]")) {
      if (newVersionDates.has(row.dataset.date)) {
        row.dataset.newVersion = "true";
        row.querySelector(".day-source").append(" ", h("span", { class: "tag" }, "new version takes effect"));
      }
    }
    const lastDate = days.length ? days[days.length - 1].date : null;
    const special = body.special_days || [];
    box.replaceChildren(
      versionsTable(body.versions || []),
      specialDaysTable("store-special-recent", "Recent special days (the week and the four weeks before)",
        special.filter((d) => lastDate === null || d.date <= lastDate)),
      specialDaysTable("store-special-upcoming", "Upcoming special days (the 90 days after the week)",
        special.filter((d) => lastDate !== null && d.date > lastDate))
    );
    result.dataset.calendar = "ready";
  }

  function dateRange(version) {
    if (!version.applies_from && !version.applies_until) return "every date";
    if (!version.applies_from) return `every date before ${version.applies_until}`;
    if (!version.applies_until) return `${version.applies_from} and after`;
    return `${version.applies_from} to the day before ${version.applies_until}`;
  }

  function versionsTable(versions) {
    return h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "table table--compact", id: "store-versions" },
        h("caption", {}, "Weekly schedule versions"),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, "Effective from"),
          h("th", { scope: "col" }, "Applies from"),
          h("th", { scope: "col" }, "Applies until (excluded)"),
          h("th", { scope: "col" }, "Supplies the dates"),
          h("th", { scope: "col", class: "num" }, "Rows"))),
        h(
          "tbody",
          {},
          versions.length
            ? versions.map((v) =>
                h(
                  "tr",
                  { "data-effective-from": v.effective_from || "" },
                  h("th", { scope: "row" }, v.effective_from || "undated"),
                  h("td", {}, v.applies_from || "—"),
                  h("td", {}, v.applies_until || "—"),
                  h("td", {}, dateRange(v)),
                  h("td", { class: "num" }, String((v.hours || []).length))
                )
              )
            : h("tr", {}, h("td", { colspan: "5", class: "muted" }, "No weekly rows: open 24×7 on every date without special hours."))
        )
      )
    );
  }

  /** "09:00" from "09:00:00"; the seconds kept when not zero. */
  const clock = (text) => (String(text).endsWith(":00") ? String(text).slice(0, 5) : String(text));

  /** A special day's periods in words, read as docs/numbers.md rule 5 reads a row. */
  function specialRows(day) {
    if (day.closed) return "closed all day";
    return (day.rows || [])
      .filter((r) => r.start_time_local !== null && r.end_time_local !== null)
      .map((r) => {
        const [start, end] = [clock(r.start_time_local), clock(r.end_time_local)];
        if (start === end) return `whole day (given as ${start}–${end})`;
        return r.start_time_local > r.end_time_local ? `${start}–${end} next day` : `${start}–${end}`;
      })
      .join(", ");
  }

  function specialDaysTable(id, caption, days) {
    return h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "table table--compact", id },
        h("caption", {}, caption),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, "Local date"),
          h("th", { scope: "col" }, "Weekday"),
          h("th", { scope: "col" }, "Special hours"))),
        h(
          "tbody",
          {},
          days.length
            ? days.map((day) =>
                h(
                  "tr",
                  { "data-date": day.date, "data-closed": day.closed ? "true" : "false" },
                  h("th", { scope: "row" }, h("time", { datetime: day.date }, day.date)),
                  h("td", {}, weekday(day.date)),
                  h("td", {}, specialRows(day))
                )
              )
            : h("tr", {}, h("td", { colspan: "3", class: "muted" }, "None."))
        )
      )
    );
  }

  function metricTile(window, body) {
    const up = Number(body[window.up]);
    const down = Number(body[window.down]);
    const total = up + down;
    const upShare = total > 0 ? (100 * up) / total : 0;
    return h(
      "div",
      { class: "metric", "data-window": window.key },
      h("h4", {}, window.label),
      h(
        "dl",
        {},
        h("div", { class: "metric__row metric__row--up" },
          h("dt", {}, h("span", { class: "swatch swatch--up", "aria-hidden": "true" }), "Uptime"),
          h("dd", { "data-field": window.up }, `${formatNumber(body[window.up])} ${window.unit}`)),
        h("div", { class: "metric__row metric__row--down" },
          h("dt", {}, h("span", { class: "swatch swatch--down", "aria-hidden": "true" }), "Downtime"),
          h("dd", { "data-field": window.down }, `${formatNumber(body[window.down])} ${window.unit}`))
      ),
      h(
        "div",
        { class: "split", role: "img", "aria-label": total > 0 ? `${Math.round(upShare)}% of open time up` : "closed all the time" },
        total > 0 ? [h("span", { class: "split__up", style: `width:${upShare}%` }), h("span", { class: "split__down", style: `width:${100 - upShare}%` })] : []
      )
    );
  }

  function timelineFigure(base, storeId) {
    const figure = h("figure", { class: "timeline" });
    const img = h("img", {
      id: "store-timeline",
      src: `${base}/timeline.svg`,
      alt: `Timeline of store ${storeId}: business hours and the status polls saw, over the last week.`,
      loading: "eager",
    });
    img.addEventListener("error", () => {
      figure.replaceChildren(h("p", { class: "alert alert--warn" }, "The timeline picture is not available for this store."));
    });
    figure.append(img, h("figcaption", { class: "muted" }, "Timeline over the last week"));
    return figure;
  }

  let searchTimer = null;
  let searchSeq = 0;

  function pollStatusBadge(value) {
    if (value === null || value === undefined || value === "") return h("span", { class: "muted" }, "no polls");
    const active = value === true || String(value).toLowerCase() === "active";
    return h(
      "span",
      { class: `badge badge--${active ? "active" : "inactive"}` },
      h("span", { class: "badge__icon", "aria-hidden": "true" }, active ? "▲" : "▼"),
      active ? "active" : "inactive"
    );
  }

  async function searchStores(query) {
    const list = $("search-results");
    query = query.trim();
    const seq = ++searchSeq;
    if (!query) {
      list.replaceChildren();
      return;
    }
    list.replaceChildren(h("p", { class: "muted" }, "Searching…"));
    let response, body;
    try {
      response = await fetch(`/api/stores/?search=${encodeURIComponent(query)}`, { cache: "no-store", headers: { Accept: "application/json" } });
      body = await readJson(response);
    } catch (error) {
      if (seq === searchSeq) list.replaceChildren(h("p", { class: "alert alert--error", role: "alert" }, `Could not reach the server: ${error.message}`));
      return;
    }
    if (seq !== searchSeq) return;
    if (!response.ok || !body) {
      list.replaceChildren(h("p", { class: "alert alert--error", role: "alert" },
        response.status === 404 ? "Store search is not available on this server." : `Store search failed: ${errorText(body, response)}`));
      return;
    }
    const stores = body.results || [];
    if (!stores.length) {
      list.replaceChildren(h("p", { class: "muted" }, `No store matches “${query}”.`));
      return;
    }
    const count = typeof body.count === "number" ? body.count : stores.length;
    list.replaceChildren(
      h("p", { class: "muted search-results__count" },
        count > stores.length ? `${formatNumber(count)} stores match; the first ${stores.length}:` : `${count} ${count === 1 ? "store matches" : "stores match"}:`),
      h(
        "ul",
        { class: "search-list" },
        stores.map((store) =>
          h(
            "li",
            {},
            h(
              "button",
              {
                type: "button",
                class: "search-item",
                "data-store-id": store.store_id,
                onclick: () => {
                  $("store-id").value = store.store_id;
                  lookupStore(store.store_id);
                },
              },
              h("code", { class: "search-item__id" }, store.store_id),
              h("span", { class: "search-item__tz muted" },
                [store.name, (store.timezone || "no timezone") + (store.timezone_defaulted ? " (default)" : "")].filter(Boolean).join(" · ")),
              h("span", { class: "search-item__poll" }, pollStatusBadge(store.last_poll_status),
                store.last_poll_at ? h("span", { class: "muted" }, " ", timeEl(store.last_poll_at)) : null)
            )
          )
        )
      )
    );
  }

  // --- the overview of a report still on its way -------------------------------------

  /** `/reports/<id>` of a Pending or Running report: reload once it is complete (or failed). */
  async function watchShownReport() {
    const section = $("overview");
    const status = section && section.dataset.reportStatus;
    if (status !== "Pending" && status !== "Running") return;
    try {
      const response = await fetch(`/get_report/${encodeURIComponent(section.dataset.reportId)}`, { cache: "no-store", credentials: "same-origin" });
      const done = response.headers.get("X-Report-Status") === "Complete";
      if (done && response.body) response.body.cancel().catch(() => {});
      const answer = done ? null : await readJson(response);
      if (done || (answer && answer.status === "Failed")) {
        window.location.reload();
        return;
      }
    } catch (_) {
      // the server is away for a moment: ask again
    }
    setTimeout(watchShownReport, LIST_REFRESH_MS);
  }

  // --- wiring -------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    $("trigger-form").addEventListener("submit", triggerReport);
    $("reports-refresh").addEventListener("click", refreshReports);
    $("store-form").addEventListener("submit", (event) => {
      event.preventDefault();
      lookupStore($("store-id").value);
    });
    $("search-form").addEventListener("submit", (event) => {
      event.preventDefault();
      clearTimeout(searchTimer);
      searchStores($("store-search").value);
    });
    $("store-search").addEventListener("input", () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => searchStores($("store-search").value), SEARCH_DEBOUNCE_MS);
    });
    refreshReports();
    loadBrands();
    watchShownReport();
  });
})();
