// The search page: filters, results table, cursor paging.
import { api } from "./api.js";
import { h, replace, table, field } from "./dom.js";
import { t, formatTime, formatDuration, timeZone } from "./i18n.js";
import { announce, isCurrent, showError } from "./app.js";

/** The filters and page last shown, kept while the console is open. */
const state = { filters: {}, cursors: [], searched: false };

const DIRECTIONS = ["inbound", "outbound", "internal"];
const SOURCES = ["upload", "capture", "siprec"];
const FLAGS = ["cut_by_crash", "incomplete", "undelivered"];

// The value is set as a property, not an attribute: the form's reset()
// then clears the fields instead of bringing back an earlier search.
function input(id, type, value, extra = {}) {
  const el = h("input", { id, name: id, type, ...extra });
  el.value = value ?? "";
  return el;
}

/** Runs the shown search again (set while the search page is shown). */
let refresh = null;
/** Numbers the searches: only the latest one's answer is shown. */
let runSeq = 0;

/**
 * Search again from the first page with the same filters (after a tenant
 * switch), keeping the form as it is. False when the page is not shown.
 */
export function refreshSearch() {
  state.cursors = [];
  if (!refresh || !document.getElementById("search-form")) return false;
  refresh();
  return true;
}

/** Forget the filters and paging (signing out). */
export function resetSearch() {
  state.filters = {};
  state.cursors = [];
  state.searched = false;
}

function select(id, options, value) {
  const el = h("select", { id, name: id },
    h("option", { value: "" }, t("search.any")),
    options.map(([v, label]) => h("option", { value: v }, label)));
  el.value = value ?? "";
  return el;
}

/** A datetime-local value (viewer's zone) as an RFC 3339 UTC instant. */
function toUtc(local) {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export async function renderSearch(main, gen) {
  const f = state.filters;
  const form = h("form", { id: "search-form", class: "filters", novalidate: true },
    field(t("search.number"), input("q-number", "search", f.number, { inputmode: "tel", autocomplete: "off" }), t("search.numberHint")),
    field(t("search.participant"), input("q-participant", "search", f.participant, { autocomplete: "off" })),
    field(t("search.from"), input("q-from", "datetime-local", f.from), timeZone()),
    field(t("search.to"), input("q-to", "datetime-local", f.to), timeZone()),
    field(t("search.direction"), select("q-direction", DIRECTIONS.map((d) => [d, t(`direction.${d}`)]), f.direction)),
    field(t("search.source"), select("q-source", SOURCES.map((s) => [s, t(`source.${s}`)]), f.source)),
    field(t("search.minDuration"), input("q-min-duration", "number", f.min, { min: 0, step: 1, inputmode: "numeric" })),
    field(t("search.maxDuration"), input("q-max-duration", "number", f.max, { min: 0, step: 1, inputmode: "numeric" })),
    field(t("search.flag"), select("q-flag", FLAGS.map((x) => [x, t(`flag.${x}`)]), f.flag)),
    h("div", { class: "actions" },
      h("button", { id: "search-submit", type: "submit", class: "primary" }, t("search.submit")),
      h("button", { id: "search-reset", type: "button", on: { click: reset } }, t("search.reset"))));
  const results = h("section", { id: "results-section", "aria-live": "polite", "aria-busy": "false" });
  replace(main, h("h1", {}, t("search.title")), form, results);

  function read() {
    const v = (id) => document.getElementById(id).value.trim();
    return {
      number: v("q-number"), participant: v("q-participant"), from: v("q-from"), to: v("q-to"),
      direction: v("q-direction"), source: v("q-source"), min: v("q-min-duration"),
      max: v("q-max-duration"), flag: v("q-flag"),
    };
  }

  function reset() {
    resetSearch();
    renderSearch(main, gen);
  }

  async function run(cursor, announceCount = true) {
    const q = state.filters;
    const seq = ++runSeq;
    // Rows on screen until the answer comes are the previous search's.
    results.setAttribute("aria-busy", "true");
    const old = document.getElementById("results");
    if (old) old.setAttribute("aria-busy", "true");
    try {
      const page = await api("/v1/conversations", {
        query: {
          number: q.number, participant: q.participant, from: toUtc(q.from), to: toUtc(q.to),
          direction: q.direction, source: q.source, min_duration_s: q.min, max_duration_s: q.max,
          flag: q.flag, cursor, limit: 50,
        },
      });
      if (!isCurrent(gen) || seq !== runSeq) return;
      showResults(page);
      if (announceCount) announce(t("search.found", { count: page.items.length }));
    } catch (e) {
      if (!isCurrent(gen) || seq !== runSeq) return;
      replace(results);
      showError(results, e);
    } finally {
      if (seq === runSeq) results.setAttribute("aria-busy", "false");
    }
  }

  function showResults(page) {
    const rows = page.items.map((c) => {
      const link = h("a", { href: `#/conversation/${encodeURIComponent(c.id)}` }, formatTime(c.started_at));
      return h("tr", { dataset: { conversationId: c.id } },
        h("td", {}, link),
        h("td", {}, t(`direction.${c.direction}`)),
        h("td", { class: "mono" }, c.external_number || "—"),
        h("td", { class: "mono" }, c.company_number || "—"),
        h("td", { class: "num" }, c.duration_ms === undefined ? "—" : formatDuration(c.duration_ms)),
        h("td", {}, (c.sources || []).map((s) => t(`source.${s}`)).join(", ") || "—"),
        h("td", {}, (c.flags || []).map((x) => h("span", { class: `badge flag-${x}` }, t(`flag.${x}`)))),
        h("td", { class: "num" }, String(c.recording_count)));
    });
    const headers = [t("col.time"), t("col.direction"), t("col.external"), t("col.company"),
      t("col.duration"), t("col.sources"), t("col.flags"), t("col.recordings")];
    const pager = h("div", { class: "pager" },
      h("button", { id: "first-page", type: "button", disabled: state.cursors.length === 0,
        on: { click: () => { state.cursors = []; run(undefined); } } }, t("search.firstPage")),
      h("button", { id: "prev-page", type: "button", disabled: state.cursors.length === 0,
        on: { click: () => { state.cursors.pop(); run(state.cursors[state.cursors.length - 1]); } } },
      t("search.prevPage")),
      h("button", { id: "next-page", type: "button", disabled: !page.next_cursor,
        on: { click: () => { state.cursors.push(page.next_cursor); run(page.next_cursor); } } },
      t("search.nextPage")),
      h("span", { class: "muted" }, t("search.page", { page: state.cursors.length + 1 })));
    replace(results,
      h("h2", { class: "visually-hidden" }, t("search.results")),
      page.items.length || page.searched_back_to ? null : h("p", { class: "empty" }, t("search.none")),
      table({ id: "results", "aria-busy": "false" }, headers, rows),
      // The server checked as many calls as one page may and stopped: say
      // how far back, and let Next page go on from there.
      page.searched_back_to
        ? h("p", { id: "searched-back-to", class: "muted", role: "status" },
          t("search.searchedBackTo", { time: formatTime(page.searched_back_to) }))
        : null,
      pager);
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    state.filters = read();
    state.cursors = [];
    state.searched = true;
    run(undefined);
  });
  refresh = () => run(undefined, false);
  // Coming back to the page shows the same page of results again.
  await run(state.cursors[state.cursors.length - 1], false);
}
