// The console's entry point: session, header, hash routing.
import { api, ApiError, setCsrf, whenUnauthorized } from "./api.js";
import { h, replace } from "./dom.js";
import { initI18n, setLanguage, currentLanguage, t, translateStatic } from "./i18n.js";
import { renderSearch, resetSearch, refreshSearch } from "./search.js";
import { renderConversation } from "./conversation.js";
import { renderDeliveries, renderStorage, renderCompleteness, renderAlerts } from "./boards.js";

const $ = (id) => document.getElementById(id);

/** The signed-in session (SessionDto) or null. */
let session = null;
/** Bumped on every navigation: a page drawn for an old route stops. */
let generation = 0;
let statusTimer = null;

/** Announce a short message in the live region. */
export function announce(message, kind = "info") {
  const el = $("status");
  el.textContent = message;
  el.className = `status ${kind} shown`;
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => { el.className = "status"; el.textContent = ""; }, 4000);
}

/** The current session (for pages that need the role). */
export function currentSession() {
  return session;
}

/** Show an API error inside container (problem detail), or a not-available sentence. */
export function showError(container, err, what) {
  if (err instanceof ApiError && err.status === 401) return;
  if (err instanceof ApiError && err.status === 403 && session && session.role === "admin" && !session.tenant) {
    // An operator's session acts for no tenant until one is chosen.
    container.append(h("p", { class: "not-available" }, t("common.chooseTenant")));
    return;
  }
  if (err instanceof ApiError && err.notAvailable && what) {
    container.append(h("p", { class: "not-available" }, t("common.notAvailable", { what }),
      err.detail ? ` (${err.detail})` : ""));
    return;
  }
  container.append(h("p", { class: "error", role: "alert" },
    t("common.error"), " ", err instanceof ApiError ? err.detail || `HTTP ${err.status}` : String(err)));
}

/**
 * Put one of the page's templates in #root. Only the mounted view is in the
 * document: while signed out there is no header (no #signout), while signed
 * in no sign-in form, so "the element is there" means "in that state".
 */
function mount(templateId) {
  const root = $("root");
  root.replaceChildren(document.getElementById(templateId).content.cloneNode(true));
  translateStatic(root);
}

function showSignIn() {
  session = null;
  generation++; // pages still loading stop drawing
  resetSearch();
  setCsrf(null);
  mount("signin-template");
  $("signin").addEventListener("submit", signIn);
  $("signin-lang").value = currentLanguage();
  $("signin-lang").addEventListener("change", (e) => changeLanguage(e.target.value));
  $("signin-key").focus();
}

function showApp(s) {
  session = s;
  setCsrf(s.csrf_token);
  mount("app-template");
  $("signout").addEventListener("click", signOut);
  $("tenant-switch").addEventListener("change", switchTenant);
  $("lang").addEventListener("change", (e) => changeLanguage(e.target.value));
  $("nav-toggle").addEventListener("click", () => {
    const open = $("nav").classList.toggle("open");
    document.querySelector("header.top").classList.toggle("open", open);
    $("nav-toggle").setAttribute("aria-expanded", String(open));
  });
  renderHeader();
  if (!location.hash || location.hash === "#" || location.hash === "#/") {
    location.replace("#/search");
  } else {
    route();
  }
}

function renderHeader() {
  const admin = session.role === "admin";
  $("tenant-field").hidden = !admin;
  const sel = $("tenant-switch");
  if (admin) {
    replace(sel, h("option", { value: "" }, t("header.allTenants")),
      (session.tenants || []).map((x) => h("option", { value: x.name }, x.name)));
    sel.value = session.tenant ? session.tenant.name : "";
  }
  const who = admin ? t("header.admin") : session.tenant ? session.tenant.name : "";
  replace($("who"), who, session.key_prefix ? h("span", { class: "muted" }, ` · ${session.key_prefix}`) : null);
  $("lang").value = currentLanguage();
}

async function signIn(ev) {
  ev.preventDefault();
  const keyInput = $("signin-key");
  const err = $("signin-error");
  const key = keyInput.value.trim();
  err.textContent = "";
  if (!key) {
    err.textContent = t("signin.empty");
    keyInput.focus();
    return;
  }
  const submit = $("signin-submit");
  submit.disabled = true;
  let s;
  try {
    s = await api("/v1/session", { method: "POST", body: { key }, quiet401: true });
  } catch (e) {
    err.textContent = e instanceof ApiError && (e.status === 401 || e.status === 400)
      ? t("signin.invalid")
      : `${t("common.error")} ${e.detail || e.message}`;
    keyInput.focus();
    return;
  } finally {
    keyInput.value = "";
    submit.disabled = false;
  }
  showApp(s);
}

async function signOut() {
  try {
    await api("/v1/session", { method: "DELETE", quiet401: true });
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) {
      announce(`${t("common.error")} ${e.detail || e.message}`, "error");
      return;
    }
  }
  history.replaceState(null, "", "#/search");
  showSignIn();
  announce(t("signin.signedOut"));
}

async function switchTenant() {
  const name = $("tenant-switch").value || null;
  try {
    const s = await api("/v1/session/tenant", { method: "PUT", body: { tenant: name } });
    session = s;
    setCsrf(s.csrf_token);
    renderHeader();
    announce(t("header.tenantSwitched", { tenant: name || t("header.allTenants") }));
    // Another tenant's call is not this one's: back to the search. The
    // search page keeps its form and searches again; a board reloads.
    if (location.hash.startsWith("#/conversation/")) location.hash = "#/search";
    else if (!(location.hash === "#/search" && refreshSearch())) route();
  } catch (e) {
    announce(`${t("common.error")} ${e.detail || e.message}`, "error");
    renderHeader();
  }
}

async function changeLanguage(code) {
  await setLanguage(code);
  for (const id of ["lang", "signin-lang"]) if ($(id)) $(id).value = code;
  if (session) {
    renderHeader();
    route();
  }
}

const ROUTES = [
  [/^#\/search$/, "nav-search", () => renderSearch],
  [/^#\/conversation\/([^/]+)$/, "nav-search", (m) => (main, gen) => renderConversation(main, gen, decodeURIComponent(m[1]))],
  [/^#\/deliveries$/, "nav-deliveries", () => renderDeliveries],
  [/^#\/storage$/, "nav-storage", () => renderStorage],
  [/^#\/completeness$/, "nav-completeness", () => renderCompleteness],
  [/^#\/alerts$/, "nav-alerts", () => renderAlerts],
];

/** Is the page drawn for navigation number gen still the current one? */
export function isCurrent(gen) {
  return gen === generation;
}

function route() {
  if (!session || !$("main")) return;
  const gen = ++generation;
  const main = $("main");
  const hash = location.hash || "#/search";
  let found = null;
  for (const [re, nav, make] of ROUTES) {
    const m = hash.match(re);
    if (m) {
      found = { nav, render: make(m) };
      break;
    }
  }
  for (const a of document.querySelectorAll("#nav a")) {
    if (found && a.id === found.nav) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  $("nav").classList.remove("open");
  document.querySelector("header.top").classList.remove("open");
  $("nav-toggle").setAttribute("aria-expanded", "false");
  replace(main);
  if (!found) {
    main.append(h("h1", {}, t("common.notFoundTitle")), h("p", {}, t("common.notFound")));
    return;
  }
  Promise.resolve(found.render(main, gen)).catch((e) => showError(main, e));
  main.focus({ preventScroll: true });
}

async function start() {
  try {
    await initI18n();
  } catch (e) {
    // Without the dictionaries the keys themselves are shown.
    console.error(e);
  }
  whenUnauthorized(() => { if (session) { showSignIn(); announce(t("signin.expired"), "error"); } });
  window.addEventListener("hashchange", route);
  try {
    const s = await api("/v1/session", { quiet401: true });
    showApp(s);
  } catch (e) {
    showSignIn();
    if (!(e instanceof ApiError && e.status === 401)) {
      $("signin-error").textContent = `${t("common.error")} ${e.detail || e.message}`;
    }
  }
}

start();
