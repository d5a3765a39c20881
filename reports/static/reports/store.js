/* The store page (reports/store.html) works without this script; with it, the as_of form leaves
   no empty `as_of=` in the URL, and the link to the view can be copied in one click.
   Text only: nothing here parses markup. */
(function () {
  "use strict";

  const form = document.getElementById("as-of-form");
  if (form) {
    form.addEventListener("submit", (event) => {
      const field = document.getElementById("as-of");
      if (field && !field.value.trim()) {
        event.preventDefault();
        window.location.assign(window.location.pathname); // the latest poll: no as_of at all
      }
    });
  }

  const link = document.getElementById("permalink");
  const copy = document.getElementById("copy-link");
  const status = document.getElementById("copy-status");
  if (link && copy && status && navigator.clipboard) {
    copy.hidden = false;
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(link.href);
        status.textContent = "Copied.";
      } catch (error) {
        status.textContent = "Could not copy: select the link instead.";
      }
    });
  }
})();
