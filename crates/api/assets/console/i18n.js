// Messages in English, Russian and German (i18n.<lang>.json, one flat
// dictionary each), the viewer's language and time zone.

export const LANGUAGES = ["en", "ru", "de"];
const STORE_KEY = "callvault.lang";
let lang = "en";
let dict = {};
let english = {};

async function load(code) {
  const resp = await fetch(`/console/assets/i18n.${code}.json`, { credentials: "same-origin" });
  if (!resp.ok) throw new Error(`i18n.${code}.json: HTTP ${resp.status}`);
  return resp.json();
}

/** The language to start in: the remembered choice, else the browser's. */
function initialLanguage() {
  let saved = null;
  try {
    saved = localStorage.getItem(STORE_KEY);
  } catch (_) { /* storage may be disabled */ }
  if (LANGUAGES.includes(saved)) return saved;
  for (const l of navigator.languages || [navigator.language || "en"]) {
    const base = String(l).toLowerCase().split("-")[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return "en";
}

/** Load the starting language. */
export async function initI18n() {
  english = await load("en");
  await setLanguage(initialLanguage(), false);
}

/** Switch language; remember = keep the choice for the next visit. */
export async function setLanguage(code, remember = true) {
  if (!LANGUAGES.includes(code)) code = "en";
  dict = code === "en" ? english : await load(code);
  lang = code;
  document.documentElement.lang = code;
  if (remember) {
    try {
      localStorage.setItem(STORE_KEY, code);
    } catch (_) { /* storage may be disabled */ }
  }
  translateStatic(document);
}

export function currentLanguage() {
  return lang;
}

/** A message, with {name} placeholders filled from vars. */
export function t(key, vars) {
  let s = dict[key] ?? english[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

/** A message if the key exists, else null (for open vocabularies). */
export function tMaybe(key) {
  return key in dict ? dict[key] : key in english ? english[key] : null;
}

/** Fill elements marked data-i18n (text) and data-i18n-label (aria-label). */
export function translateStatic(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-label]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  }
}

/** A time in the viewer's zone and language. */
export function formatTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "medium" }).format(d);
}

/** A short date (for chart axes). */
export function formatDay(date) {
  return new Intl.DateTimeFormat(lang, { month: "short", day: "numeric", timeZone: "UTC" })
    .format(date);
}

/** Milliseconds as h:mm:ss or m:ss. */
export function formatDuration(ms) {
  if (ms === undefined || ms === null) return "—";
  // Less than a second before the start (a join a few ms early) is 0:00.
  const neg = ms <= -1000;
  let s = Math.floor(Math.abs(ms) / 1000);
  const hh = Math.floor(s / 3600);
  s -= hh * 3600;
  const mm = Math.floor(s / 60);
  const ss = s - mm * 60;
  const pad = (n) => String(n).padStart(2, "0");
  return (neg ? "−" : "") + (hh ? `${hh}:${pad(mm)}:${pad(ss)}` : `${mm}:${pad(ss)}`);
}

/** Bytes in a human unit. */
export function formatBytes(n) {
  if (n === undefined || n === null) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let v = Number(n);
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${new Intl.NumberFormat(lang, { maximumFractionDigits: i ? 1 : 0 }).format(v)} ${units[i]}`;
}

/** A number in the viewer's language. */
export function formatNumber(n, digits = 0) {
  if (n === undefined || n === null) return "—";
  return new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(n);
}

/** The viewer's time zone name (shown next to time inputs). */
export function timeZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "local";
}
