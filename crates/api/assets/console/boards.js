// The boards: deliveries, storage, completeness, alerts. Each reads the API
// and says plainly when its data route is not available here.
import { api } from "./api.js";
import { h, replace, table } from "./dom.js";
import { t, tMaybe, formatTime, formatBytes, formatNumber, formatDay } from "./i18n.js";
import { drawBars, drawForecast } from "./charts.js";
import { announce, isCurrent, showError } from "./app.js";

/** States a delivery can be retried from by hand. */
const RETRYABLE = new Set(["pending", "retry_wait", "dead", "no_match", "cancelled", "skipped"]);
/** The states of deliveries that are not through yet, listed on the board. */
const WATCHED = ["pending", "in_flight", "retry_wait", "dead"];
/** Rows of each state the board lists (the counts per destination are exact). */
const LISTED = 200;

export function stateLabel(state) {
  return tMaybe(`state.${state}`) || state;
}

/** A retry button for a delivery (none when it cannot be retried). */
export function retryButton(d, after) {
  if (!RETRYABLE.has(d.state)) return null;
  const btn = h("button", { type: "button", class: "retry", "aria-label": t("del.retryOne", { kind: d.destination_kind, event: d.event }) },
    t("del.retry"));
  btn.addEventListener("click", async () => {
    btn.disabled = true;
    try {
      await api(`/v1/deliveries/${encodeURIComponent(d.id)}/retry`, { method: "POST" });
      announce(t("del.retried"));
      await after();
    } catch (e) {
      btn.disabled = false;
      announce(`${t("common.error")} ${e.detail || e.message}`, "error");
    }
  });
  return btn;
}

/** Destination id → name (empty when the list cannot be read). */
export async function destinationNames() {
  try {
    const dests = await api("/v1/destinations");
    return new Map((Array.isArray(dests) ? dests : dests.items || []).map((d) => [d.id, d.name]));
  } catch (_) {
    return new Map(); // names are a nicety: kinds are shown instead
  }
}

function board(main, id, title) {
  const el = h("section", { id, class: "board", "aria-busy": "true" });
  replace(main, h("h1", {}, title), el);
  return el;
}

// --- deliveries ----------------------------------------------------------

export async function renderDeliveries(main, gen) {
  const el = board(main, "deliveries-board", t("nav.deliveries"));
  async function load() {
    let lists, summary;
    try {
      [summary, ...lists] = await Promise.all([
        api("/v1/deliveries/summary"),
        ...WATCHED.map((state) => api("/v1/deliveries", { query: { state, limit: LISTED } })),
      ]);
    } catch (e) {
      if (!isCurrent(gen)) return;
      replace(el);
      showError(el, e, t("nav.deliveries"));
      el.setAttribute("aria-busy", "false");
      return;
    }
    const names = await destinationNames();
    if (!isCurrent(gen)) return;

    const all = lists.flatMap((l) => l.items);
    const summaryRows = summary.map((p) => h("tr", { dataset: { destinationId: p.destination_id } },
      h("th", { scope: "row" }, p.name || names.get(p.destination_id) || p.kind, h("span", { class: "muted" }, ` (${p.kind})`)),
      h("td", { class: "num" }, formatNumber(p.pending)),
      h("td", { class: "num" }, formatNumber(p.in_flight)),
      h("td", { class: "num" }, formatNumber(p.retry_wait)),
      h("td", { class: "num" + (p.dead ? " bad" : "") }, formatNumber(p.dead)),
      h("td", { class: "error-text" }, p.last_error || "—")));
    all.sort((a, b) => new Date(b.updated_at) - new Date(a.updated_at));
    const recent = all.slice(0, 200).map((d) => h("tr", { dataset: { deliveryId: d.id, state: d.state } },
      h("td", {}, formatTime(d.updated_at)),
      h("td", {}, names.get(d.destination_id) || d.destination_kind),
      h("td", {}, d.event),
      h("td", {}, d.conversation_id ? h("a", { href: `#/conversation/${encodeURIComponent(d.conversation_id)}` }, t("del.openCall")) : "—"),
      h("td", {}, h("span", { class: `badge state-${d.state}` }, stateLabel(d.state))),
      h("td", { class: "num" }, String(d.attempts)),
      h("td", { class: "error-text" }, d.last_error || "—"),
      h("td", {}, retryButton(d, load))));
    const capped = lists.some((l) => l.next);
    replace(el,
      h("h2", {}, t("del.perDestination")),
      summaryRows.length
        ? table({ id: "delivery-summary" }, [t("del.destination"), stateLabel("pending"), stateLabel("in_flight"), stateLabel("retry_wait"), stateLabel("dead"), t("del.lastError")], summaryRows)
        : h("p", { class: "empty ok" }, t("del.allDelivered")),
      h("h2", {}, t("del.recent")),
      capped ? h("p", { class: "muted" }, t("del.capped")) : null,
      table({ id: "deliveries" }, [t("del.updated"), t("del.destination"), t("del.event"), t("del.call"), t("del.state"),
        t("del.attempts"), t("del.lastError"), t("del.action")], recent),
      recent.length ? null : h("p", { class: "empty ok" }, t("del.nothingWaiting")),
      h("p", {}, h("button", { type: "button", id: "deliveries-refresh", on: { click: load } }, t("common.refresh"))));
    el.setAttribute("aria-busy", "false");
  }
  await load();
}

// --- storage -------------------------------------------------------------

export async function renderStorage(main, gen) {
  const el = board(main, "storage-board", t("nav.storage"));
  let s;
  try {
    s = await api("/v1/storage");
  } catch (e) {
    if (!isCurrent(gen)) return;
    replace(el);
    showError(el, e, t("nav.storage"));
    el.setAttribute("aria-busy", "false");
    return;
  }
  if (!isCurrent(gen)) return;
  const days = (d) => (d === null || d === undefined ? t("storage.notFilling") : t("storage.days", { n: formatNumber(d, 0) }));
  const rate = (r) => (r === null || r === undefined ? "—" : `${formatBytes(r)}/${t("storage.perDay")}`);
  const parts = [h("p", { class: "muted" }, t("storage.at", { at: formatTime(s.at) }))];
  const colors = ["#1f4e8c", "#1b6b3a", "#8a3b00", "#5a2d82", "#00606b", "#8c1f4e"];
  let lines = [];
  if (s.stores) {
    parts.push(h("h2", {}, t("storage.stores")), table({ id: "stores" },
      [t("storage.store"), t("storage.kind"), t("storage.copies"), t("storage.used"), t("storage.capacity"), t("storage.free"),
        t("storage.usedPercent"), t("storage.growth7"), t("storage.growth30"), t("storage.untilFull")],
      s.stores.map((x) => h("tr", { dataset: { store: x.store } },
        h("th", { scope: "row" }, x.store), h("td", {}, x.kind), h("td", { class: "num" }, formatNumber(x.copies)),
        h("td", { class: "num" }, formatBytes(x.used_bytes)), h("td", { class: "num" }, formatBytes(x.capacity_bytes)),
        h("td", { class: "num" }, formatBytes(x.free_bytes)),
        h("td", { class: "num" }, x.used_percent === null || x.used_percent === undefined ? "—" : `${formatNumber(x.used_percent, 1)} %`),
        h("td", { class: "num" }, rate(x.growth_bytes_per_day_7d)), h("td", { class: "num" }, rate(x.growth_bytes_per_day_30d)),
        h("td", { class: "num days-until-full" + (x.days_until_full !== null && x.days_until_full < 30 ? " bad" : "") }, days(x.days_until_full))))));
    lines = s.stores.map((x, i) => ({
      label: x.store, color: colors[i % colors.length],
      used: x.capacity_bytes && x.free_bytes !== null ? x.capacity_bytes - x.free_bytes : x.used_bytes,
      rate: Math.max(x.growth_bytes_per_day_7d || 0, x.growth_bytes_per_day_30d || 0),
      capacity: x.capacity_bytes, daysUntilFull: x.days_until_full,
    }));
  }
  if (s.tenants && s.tenants.length) {
    parts.push(h("h2", {}, t("storage.tenants")), table({ id: "tenant-usage" },
      [t("storage.tenant"), t("storage.store"), t("storage.copies"), t("storage.used"), t("storage.growth30")],
      s.tenants.map((x) => h("tr", {},
        h("th", { scope: "row" }, x.tenant || x.tenant_id), h("td", {}, x.store), h("td", { class: "num" }, formatNumber(x.copies)),
        h("td", { class: "num" }, formatBytes(x.used_bytes)), h("td", { class: "num" }, rate(x.growth_bytes_per_day_30d))))));
    if (!s.stores) {
      lines = s.tenants.map((x, i) => ({ label: `${x.tenant || x.tenant_id} · ${x.store}`, color: colors[i % colors.length],
        used: x.used_bytes, rate: x.growth_bytes_per_day_30d || 0, capacity: null }));
    }
  } else if (!s.stores) {
    parts.push(h("p", { class: "empty" }, t("storage.noUsage")));
  }
  if (s.data_dir) {
    const d = s.data_dir;
    parts.push(h("h2", {}, t("storage.dataDir")), h("dl", { class: "meta", id: "data-dir" },
      h("dt", {}, t("storage.free")), h("dd", {}, formatBytes(d.free_bytes)),
      h("dt", {}, t("storage.level")), h("dd", {}, h("span", { class: `badge level-${d.level}` }, tMaybe(`level.${d.level}`) || d.level)),
      h("dt", {}, t("storage.watermarks")), h("dd", {}, `${formatBytes(d.low_watermark_bytes)} / ${formatBytes(d.critical_watermark_bytes)}`),
      h("dt", {}, t("storage.accepting")), h("dd", {}, d.accepting_new_calls ? t("common.yes") : t("common.no"))));
  }
  let canvas = null;
  let horizon = 90;
  if (lines.length) {
    const finite = lines.map((l) => l.daysUntilFull).filter((d) => d !== null && d !== undefined && d > 0);
    horizon = Math.min(730, Math.max(30, Math.ceil(finite.length ? Math.min(...finite) * 1.2 : 90)));
    canvas = h("canvas", { id: "forecast", class: "chart", role: "img",
      "aria-label": t("storage.forecastLabel", { days: horizon }) });
    parts.push(h("h2", {}, t("storage.forecast")),
      h("p", { class: "muted" }, t("storage.forecastHint", { days: horizon }),
        // A tenant's own view has no store capacity to draw.
        lines.some((l) => l.capacity) ? [" ", t("storage.forecastCapacity")] : null),
      canvas,
      h("ul", { class: "legend" }, lines.map((l) => h("li", {}, h("span", { class: "swatch", dataset: { color: l.color } }), l.label,
        l.daysUntilFull !== undefined ? ` — ${days(l.daysUntilFull)}` : ""))));
  }
  replace(el, parts);
  for (const sw of el.querySelectorAll(".swatch")) sw.style.background = sw.dataset.color;
  if (canvas) {
    const dayLabel = (d) => formatDay(new Date(Date.now() + d * 86400000));
    drawForecast(canvas, lines, horizon, formatBytes, dayLabel);
  }
  el.setAttribute("aria-busy", "false");
}

// --- completeness --------------------------------------------------------

function utcDate(offsetDays) {
  const d = new Date();
  d.setUTCHours(0, 0, 0, 0);
  d.setUTCDate(d.getUTCDate() - offsetDays);
  return d;
}

export async function renderCompleteness(main, gen) {
  const el = board(main, "completeness-board", t("nav.completeness"));
  const dates = [];
  for (let i = 13; i >= 0; i--) dates.push(utcDate(i));
  let days;
  let report;
  try {
    days = await Promise.all(dates.map((d) => api("/v1/assurance/daily", { query: { date: d.toISOString().slice(0, 10) } })));
    report = await api("/v1/assurance", { query: { since: "30d", limit: 200 } });
  } catch (e) {
    if (!isCurrent(gen)) return;
    replace(el);
    showError(el, e, t("nav.completeness"));
    el.setAttribute("aria-busy", "false");
    return;
  }
  if (!isCurrent(gen)) return;
  const labels = dates.map(formatDay);
  // A day with nothing checked has no share (the API says 100 %).
  const pct = (summary, share) => (summary.checked ? `${formatNumber(share.percent, 1)} %` : "—");
  const calls = days.map((d) => d.summary.calls);
  const complete = days.map((d) => d.summary.recorded_completely.count);
  const canvas = h("canvas", { id: "completeness-chart", class: "chart", role: "img", "aria-label": t("compl.chartLabel") });
  const rows = days.map((d, i) => h("tr", { dataset: { date: d.date } },
    h("th", { scope: "row" }, labels[i]),
    h("td", { class: "num" }, formatNumber(d.summary.calls)),
    h("td", { class: "num" }, formatNumber(d.summary.checked)),
    h("td", { class: "num" }, formatNumber(d.summary.recorded_completely.count)),
    h("td", { class: "num" + (d.summary.checked && d.summary.recorded_completely.percent < 100 ? " bad" : "") }, pct(d.summary, d.summary.recorded_completely)),
    h("td", { class: "num" }, pct(d.summary, d.summary.with_required_copies)),
    h("td", { class: "num" }, pct(d.summary, d.summary.delivered))));
  const findings = report.findings.map((f) => h("tr", { dataset: { findingId: f.id, kind: f.kind } },
    h("td", {}, formatTime(f.first_seen)),
    h("td", {}, tMaybe(`finding.${f.kind}`) || f.kind),
    h("td", {}, f.reason),
    h("td", {}, f.conversation_id ? h("a", { href: `#/conversation/${encodeURIComponent(f.conversation_id)}` }, t("del.openCall")) : "—")));
  replace(el,
    h("h2", {}, t("compl.perDay")),
    canvas,
    h("ul", { class: "legend" },
      h("li", {}, h("span", { class: "swatch swatch-calls" }), t("compl.calls")),
      h("li", {}, h("span", { class: "swatch swatch-complete" }), t("compl.complete"))),
    table({ id: "completeness-days" }, [t("compl.day"), t("compl.calls"), t("compl.checked"), t("compl.complete"),
      t("compl.completePct"), t("compl.copiesPct"), t("compl.deliveredPct")], rows),
    h("h2", {}, t("compl.findings")),
    findings.length
      ? table({ id: "findings" }, [t("compl.firstSeen"), t("compl.kind"), t("compl.reason"), t("del.call")], findings)
      : h("p", { class: "empty ok" }, t("compl.noFindings")));
  drawBars(canvas, labels, [
    { label: t("compl.calls"), color: "#1f4e8c", values: calls },
    { label: t("compl.complete"), color: "#1b6b3a", values: complete },
  ]);
  el.setAttribute("aria-busy", "false");
}

// --- alerts --------------------------------------------------------------

export async function renderAlerts(main, gen) {
  const el = board(main, "alerts-board", t("nav.alerts"));
  async function load() {
    let alerts;
    try {
      alerts = await api("/v1/alerts", { query: { open: true } });
    } catch (e) {
      if (!isCurrent(gen)) return;
      replace(el);
      showError(el, e, t("nav.alerts"));
      el.setAttribute("aria-busy", "false");
      return;
    }
    if (!isCurrent(gen)) return;
    const rows = alerts.map((a) => {
      const resolve = h("button", { type: "button", class: "resolve" }, t("alerts.resolve"));
      resolve.addEventListener("click", async () => {
        resolve.disabled = true;
        try {
          await api(`/v1/alerts/${encodeURIComponent(a.id)}/resolve`, { method: "POST" });
          announce(t("alerts.resolved"));
          await load();
        } catch (e) {
          resolve.disabled = false;
          announce(`${t("common.error")} ${e.detail || e.message}`, "error");
        }
      });
      return h("tr", { dataset: { alertId: a.id, severity: a.severity } },
        h("td", {}, h("span", { class: `badge sev-${a.severity}` }, tMaybe(`severity.${a.severity}`) || a.severity)),
        h("td", {}, a.kind), h("td", { class: "mono" }, a.subject), h("td", {}, a.message),
        h("td", {}, formatTime(a.first_seen)), h("td", {}, formatTime(a.last_seen)),
        h("td", { class: "num" }, formatNumber(a.count)), h("td", {}, resolve));
    });
    replace(el, rows.length
      ? table({ id: "alerts" }, [t("alerts.severity"), t("alerts.kind"), t("alerts.subject"), t("alerts.message"),
        t("alerts.since"), t("alerts.lastSeen"), t("alerts.count"), t("del.action")], rows)
      : h("p", { class: "empty ok" }, t("alerts.none")));
    el.setAttribute("aria-busy", "false");
  }
  await load();
}
