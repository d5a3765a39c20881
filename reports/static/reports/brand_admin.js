// loopmonitor's brand section (reports/_brand_admin.html): a brand admin's keys, members and
// latest audit events, over /api/brands/{slug}/ (README "Brands, roles, keys and audit").
// Plain JavaScript on the logged-in session, with the CSRF header; no build step.
(function () {
  "use strict";

  const AUDIT_SHOWN = 20;
  const ROLES = ["viewer", "operator", "admin"];

  const $ = (id) => document.getElementById(id);

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

  /** "2023-01-23 17:00 UTC" from an ISO 8601 instant; a dash for none. */
  function when(iso) {
    if (!iso) return "—";
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return String(iso);
    return date.toISOString().replace("T", " ").slice(0, 16) + " UTC";
  }

  function timeEl(iso) {
    return h("time", { datetime: iso || null, title: iso || null }, when(iso));
  }

  /** A readable sentence from an API error body (`detail`, or DRF's per-field lists). */
  function errorText(body, response) {
    if (body && typeof body.detail === "string") return body.detail;
    if (body && typeof body === "object") {
      const parts = Object.entries(body).map(([field, messages]) => `${field}: ${[].concat(messages).join(" ")}`);
      if (parts.length) return parts.join(" · ");
    }
    return response ? `The server answered HTTP ${response.status}.` : "No answer from the server.";
  }

  class ApiError extends Error {}

  /** The JSON answer of `method url` (null for 204), or an ApiError saying why not. */
  async function call(method, url, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRFToken"] = cookie("csrftoken");
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(url, {
        method,
        headers,
        credentials: "same-origin",
        cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (_) {
      throw new ApiError(errorText(null, null));
    }
    if (response.status === 204) return null;
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (!response.ok) throw new ApiError(errorText(data, response));
    return data;
  }

  function showError(id, error) {
    const el = $(id);
    el.textContent = error ? error.message || String(error) : "";
    el.hidden = !error;
  }

  function fill(tbody, rows, columns, emptyText) {
    tbody.replaceChildren(
      ...(rows.length ? rows : [h("tr", {}, h("td", { colspan: String(columns), class: "empty muted" }, emptyText))])
    );
  }

  function roleSelect(current, label, onchange) {
    return h(
      "select",
      { "aria-label": label, onchange },
      ROLES.map((role) => h("option", { value: role, selected: role === current }, role))
    );
  }

  // --- one brand ---------------------------------------------------------------

  let slug = "";
  const base = () => `/api/brands/${encodeURIComponent(slug)}`;

  async function loadKeys() {
    try {
      const page = await call("GET", `${base()}/keys/`);
      const rows = page.results.map((key) =>
        h(
          "tr",
          { "data-prefix": key.prefix },
          h("td", {}, h("code", {}, key.prefix)),
          h("td", {}, key.name),
          h("td", {}, key.role),
          h("td", {}, timeEl(key.created)),
          h("td", {}, timeEl(key.expires_at)),
          h("td", {}, timeEl(key.last_used_at)),
          h(
            "td",
            {},
            key.revoked
              ? "revoked"
              : h("button", { type: "button", class: "button button--small", onclick: () => revokeKey(key) }, "Revoke")
          )
        )
      );
      fill($("brand-keys-body"), rows, 7, "No keys yet.");
      showError("brand-keys-error", null);
    } catch (error) {
      showError("brand-keys-error", error);
    }
  }

  async function revokeKey(key) {
    if (!window.confirm(`Revoke key ${key.prefix} (${key.name})? Clients using it stop working at once, for good.`)) return;
    try {
      await call("DELETE", `${base()}/keys/${encodeURIComponent(key.prefix)}`);
      showError("brand-keys-error", null);
    } catch (error) {
      showError("brand-keys-error", error);
    }
    await Promise.all([loadKeys(), loadAudit()]);
  }

  async function createKey(event) {
    event.preventDefault();
    const body = { name: $("brand-key-name").value.trim(), role: $("brand-key-role").value };
    const expires = $("brand-key-expires").value.trim();
    if (expires) body.expires_at = expires;
    const button = $("brand-key-create");
    button.disabled = true;
    try {
      const created = await call("POST", `${base()}/keys/`, body);
      $("brand-key-new-value").textContent = created.key;
      $("brand-key-new").hidden = false;
      $("brand-key-form").reset();
      showError("brand-keys-error", null);
    } catch (error) {
      $("brand-key-new").hidden = true;
      showError("brand-keys-error", error);
    } finally {
      button.disabled = false;
    }
    await Promise.all([loadKeys(), loadAudit()]);
  }

  async function loadMembers() {
    try {
      const page = await call("GET", `${base()}/members/`);
      const rows = page.results.map((member) =>
        h(
          "tr",
          { "data-username": member.username },
          h("td", {}, member.username),
          h("td", {}, member.email || "—"),
          h("td", {}, roleSelect(member.role, `Role of ${member.username}`, (e) => changeRole(member, e.target))),
          h("td", {}, timeEl(member.since)),
          h(
            "td",
            {},
            h("button", { type: "button", class: "button button--small", onclick: () => removeMember(member) }, "Remove")
          )
        )
      );
      fill($("brand-members-body"), rows, 5, "No members yet.");
      showError("brand-members-error", null);
    } catch (error) {
      showError("brand-members-error", error);
    }
  }

  async function changeRole(member, select) {
    try {
      await call("PATCH", `${base()}/members/${encodeURIComponent(member.username)}`, { role: select.value });
      showError("brand-members-error", null);
    } catch (error) {
      showError("brand-members-error", error);
    }
    await Promise.all([loadMembers(), loadAudit()]);
  }

  async function removeMember(member) {
    if (!window.confirm(`Remove ${member.username} from the brand?`)) return;
    try {
      await call("DELETE", `${base()}/members/${encodeURIComponent(member.username)}`);
      showError("brand-members-error", null);
    } catch (error) {
      showError("brand-members-error", error);
    }
    await Promise.all([loadMembers(), loadAudit()]);
  }

  async function addMember(event) {
    event.preventDefault();
    const body = { username: $("brand-member-username").value.trim(), role: $("brand-member-role").value };
    const email = $("brand-member-email").value.trim();
    if (email) body.email = email;
    const button = $("brand-member-add");
    button.disabled = true;
    try {
      const added = await call("POST", `${base()}/members/`, body);
      const link = $("brand-member-new-link");
      link.textContent = added.password_set_url || "";
      link.href = added.password_set_url || "#";
      $("brand-member-new").hidden = !added.password_set_url;
      $("brand-member-form").reset();
      showError("brand-members-error", null);
    } catch (error) {
      $("brand-member-new").hidden = true;
      showError("brand-members-error", error);
    } finally {
      button.disabled = false;
    }
    await Promise.all([loadMembers(), loadAudit()]);
  }

  async function loadAudit() {
    try {
      const page = await call("GET", `${base()}/audit/`);
      const rows = page.results.slice(0, AUDIT_SHOWN).map((event) =>
        h(
          "tr",
          { "data-action": event.action },
          h("td", {}, timeEl(event.at)),
          h("td", {}, event.actor),
          h("td", {}, event.action),
          h("td", {}, event.target),
          h("td", {}, event.ip || "—")
        )
      );
      fill($("brand-audit-body"), rows, 5, "Nothing recorded yet.");
      showError("brand-audit-error", null);
    } catch (error) {
      showError("brand-audit-error", error);
    }
  }

  function show(brandSlug) {
    slug = brandSlug;
    $("brand-audit-json").href = `${base()}/audit/`;
    $("brand-key-new").hidden = true;
    $("brand-member-new").hidden = true;
    return Promise.all([loadKeys(), loadMembers(), loadAudit()]);
  }

  function start() {
    const section = $("brand-admin");
    if (!section) return;
    const brands = JSON.parse($("brand-admin-brands").textContent);
    if (!brands.length) return;
    const picker = $("brand-admin-brand");
    picker.addEventListener("change", () => show(picker.value));
    $("brand-key-form").addEventListener("submit", createKey);
    $("brand-member-form").addEventListener("submit", addMember);
    $("brand-audit-refresh").addEventListener("click", loadAudit);
    show(picker.value || brands[0].slug).then(() => section.setAttribute("data-loaded", slug));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
