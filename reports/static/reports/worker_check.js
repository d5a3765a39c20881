// "No worker is running", on the page, rather than a report left Pending for ever.
//
// A report is computed by a Celery worker; without one it stays Pending. GET /healthz names what
// is missing ("worker": "no worker has reported in 30 s"), so this script asks it when the page
// loads and then every CHECK_EVERY_MS while the page is shown, and puts a message at the top of
// <main> while no worker is alive (removed once one reports). Text only: no markup is parsed.
(function () {
  "use strict";

  const CHECK_EVERY_MS = 15000;
  const ALERT_ID = "worker-alert";

  function alertElement() {
    let alert = document.getElementById(ALERT_ID);
    if (!alert) {
      alert = document.createElement("p");
      alert.id = ALERT_ID;
      alert.className = "alert alert--error";
      alert.setAttribute("role", "alert");
      alert.hidden = true;
      alert.style.marginBottom = "16px";
      const main = document.querySelector("main") || document.body;
      main.insertBefore(alert, main.firstChild);
    }
    return alert;
  }

  function show(problem) {
    const alert = alertElement();
    alert.textContent = problem
      ? `No worker is running (${problem}): a report stays Pending until one starts. ` +
        "make run starts one; on its own: celery -A loopmonitor worker."
      : "";
    alert.hidden = !problem;
    document.documentElement.dataset.worker = problem ? "missing" : "ok";
  }

  async function check() {
    let answer;
    try {
      const response = await fetch("/healthz", { headers: { Accept: "application/json" }, credentials: "same-origin" });
      answer = await response.json();
    } catch (error) {
      return; // the server itself is unreachable: the page's own requests say so
    }
    const worker = answer && typeof answer.worker === "string" ? answer.worker : "ok";
    show(worker === "ok" ? null : worker);
  }

  document.addEventListener("DOMContentLoaded", () => {
    check();
    setInterval(() => {
      if (!document.hidden) check();
    }, CHECK_EVERY_MS);
  });
})();
