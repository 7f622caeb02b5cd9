// The conversation page: player and waveforms, the participants' timeline,
// events, copies, deliveries and downloads.
import { api, ApiError } from "./api.js";
import { h, replace, table } from "./dom.js";
import { t, tMaybe, formatTime, formatDuration, formatBytes } from "./i18n.js";
import { drawWaveform } from "./charts.js";
import { isCurrent, showError } from "./app.js";
import { retryButton, stateLabel, destinationNames } from "./boards.js";

// The part not played yet keeps 3:1 against the canvas's background
// (WCAG's contrast for graphics); the played part is darker still.
const WAVE_COLORS = {
  external: { wave: "#5f86bd", played: "#163a69", head: "#b00020" },
  company: { wave: "#4a946a", played: "#14512c", head: "#b00020" },
  mono: { wave: "#76768f", played: "#2d2d55", head: "#b00020" },
};

const ms = (iso) => new Date(iso).getTime();

/** A recording flag's label (open vocabulary: unknown flags show as is). */
export function flagLabel(flag) {
  return tMaybe(`recflag.${flag}`) || flag;
}

function eventLabel(kind) {
  return tMaybe(`event.${kind}`) || kind;
}

/** What an event's detail says, in a few words. */
function detailText(kind, detail) {
  if (detail && typeof detail === "object" && !Array.isArray(detail)) {
    if (kind === "dtmf" && detail.digit !== undefined) return String(detail.digit);
    if (kind === "transfer") {
      // Who was transferred where; an attended transfer names no target.
      const to = detail.target ? `→ ${detail.target}` : "";
      const what = [detail.transferee || "", to].filter(Boolean).join(" ");
      return detail.attended ? `${what} (${t("event.attended")})`.trim() : what;
    }
    if (kind === "media_gap" && detail.duration_ms !== undefined) return `${(detail.duration_ms / 1000).toFixed(1)} s`;
    if (kind === "hold" || kind === "resume") return "";
  }
  if (detail === null || detail === undefined || typeof detail !== "object") {
    return detail === null || detail === undefined ? "" : String(detail);
  }
  if (Array.isArray(detail)) return detail.length ? JSON.stringify(detail).slice(0, 120) : "";
  const parts = [];
  for (const [k, v] of Object.entries(detail)) {
    if (v === null || v === undefined || v === "") continue;
    parts.push(`${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`);
  }
  const s = parts.join(", ");
  return s.length > 160 ? s.slice(0, 157) + "…" : s;
}

export async function renderConversation(main, gen, id) {
  let conv;
  try {
    conv = await api(`/v1/conversations/${encodeURIComponent(id)}`);
  } catch (e) {
    if (!isCurrent(gen)) return;
    replace(main, h("h1", {}, t("conv.title")));
    if (e instanceof ApiError && e.status === 404) {
      main.append(h("p", { class: "error not-found", role: "alert" }, t("conv.notFound")));
    } else {
      showError(main, e);
    }
    return;
  }
  if (!isCurrent(gen)) return;

  const names = new Map(conv.participants.map((p) => [p.id, p.display_name || p.address || t(`side.${p.side}`)]));
  const recordings = conv.recordings.slice().sort((a, b) => a.offset_ms - b.offset_ms);
  // The scale starts at the first thing that happened (a leg may join a
  // few milliseconds before the conversation's own start).
  const start = ms(conv.started_at);
  let origin = start;
  for (const p of conv.participants) origin = Math.min(origin, ms(p.joined_at));
  for (const r of recordings) origin = Math.min(origin, ms(r.started_at));
  let end = conv.ended_at ? ms(conv.ended_at) : start;
  for (const p of conv.participants) end = Math.max(end, ms(p.joined_at), p.left_at ? ms(p.left_at) : 0);
  for (const r of recordings) end = Math.max(end, ms(r.ended_at));
  const span = Math.max(1000, end - origin);

  // Header.
  const title = [conv.external_number, conv.company_number].filter(Boolean).join(" ↔ ") || t("conv.title");
  const meta = h("dl", { class: "meta" },
    h("dt", {}, t("col.direction")), h("dd", {}, t(`direction.${conv.direction}`)),
    h("dt", {}, t("conv.started")), h("dd", {}, formatTime(conv.started_at)),
    h("dt", {}, t("conv.ended")), h("dd", {}, conv.ended_at ? formatTime(conv.ended_at) : t("conv.ongoing")),
    h("dt", {}, t("col.duration")), h("dd", {}, formatDuration(span)),
    conv.external_ids.length ? [h("dt", {}, t("conv.externalIds")),
      h("dd", { class: "mono" }, conv.external_ids.map((x) => `${x.kind}: ${x.value}`).join(", "))] : null);

  // Player, waveforms, downloads.
  const player = h("audio", { id: "player", controls: true, preload: "metadata" });
  const waves = h("div", { id: "waveforms", class: "waveforms" });
  const recInfo = h("div", { class: "rec-info" });
  const downloads = h("p", { class: "downloads" });
  const playerSection = h("section", { class: "card", "aria-labelledby": "h-recording" },
    h("h2", { id: "h-recording" }, t("conv.recording")));
  let current = null;

  if (recordings.length === 0) {
    playerSection.append(h("p", { class: "empty" }, t("conv.noRecordings")));
  } else {
    if (recordings.length > 1) {
      const sel = h("select", { id: "recording-select" },
        recordings.map((r, i) => h("option", { value: r.id },
          t("conv.recordingN", { n: i + 1, start: formatDuration(r.offset_ms), duration: formatDuration(r.duration_ms) }))));
      sel.addEventListener("change", () => select(recordings.find((r) => r.id === sel.value)));
      playerSection.append(h("div", { class: "field" }, h("label", { for: "recording-select" }, t("conv.chooseRecording")), sel));
    }
    playerSection.append(player, waves, recInfo, downloads);
  }

  // Timeline of participants.
  const pct = (t0) => `${(Math.max(0, Math.min(span, t0 - origin)) / span) * 100}%`;
  const head = h("div", { class: "timeline-head", "aria-hidden": "true" });
  // A click on a lane plays the recording from that moment of the call (the
  // events list is the keyboard's way to the same).
  function seekOnTrack(ev) {
    if (!current) return;
    const rect = ev.currentTarget.getBoundingClientRect();
    const at = origin + ((ev.clientX - rect.left) / rect.width) * span;
    seekSeconds((at - start - current.offset_ms) / 1000);
  }
  const lanes = conv.participants.map((p) => {
    const from = ms(p.joined_at);
    const to = p.left_at ? ms(p.left_at) : end;
    const bar = h("div", { class: `bar side-${p.side}` },
      h("span", { class: "visually-hidden" }, t("conv.onCall", { from: formatDuration(from - origin), to: formatDuration(to - origin) })));
    bar.style.left = pct(from);
    bar.style.width = `${Math.max(0.5, ((to - from) / span) * 100)}%`;
    bar.title = `${formatDuration(from - origin)} – ${formatDuration(to - origin)}`;
    return h("div", { class: "participant", dataset: { participantId: p.id, side: p.side } },
      h("div", { class: "lane-label" },
        h("span", { class: `badge side-${p.side}` }, t(`side.${p.side}`)), " ",
        h("span", { class: "name" }, p.display_name || p.address || "—"),
        p.display_name && p.address ? h("span", { class: "muted mono" }, ` ${p.address}`) : null),
      h("div", { class: "lane-track", on: { click: seekOnTrack } }, bar));
  });
  const timeline = h("div", { id: "timeline", class: "timeline" },
    h("div", { class: "timeline-axis", "aria-hidden": "true" },
      h("span", {}, "0:00"), h("span", {}, formatDuration(span / 2)), h("span", {}, formatDuration(span))),
    h("div", { class: "lanes" }, lanes, head));

  // Events, with the recordings' own flags (a crash cut) where they end.
  const events = conv.timeline.map((e) => ({ ...e }));
  for (const r of recordings) {
    // A crash cut is where the recording ends; other flags stay badges.
    for (const flag of (r.flags || []).filter((f) => f === "cut_by_crash")) {
      events.push({ event: flag, offset_ms: r.offset_ms + r.duration_ms, at: r.ended_at, recording_id: r.id, participant_id: r.participant_id, isFlag: true });
    }
  }
  events.sort((a, b) => a.offset_ms - b.offset_ms);
  const eventList = h("ul", { id: "events", class: "events" }, events.map((e) => {
    const who = e.participant_id ? names.get(e.participant_id) : null;
    const label = e.isFlag ? flagLabel(e.event) : eventLabel(e.event);
    const detail = e.isFlag ? "" : detailText(e.event, e.detail);
    const btn = h("button", { type: "button", class: "linkish", title: formatTime(e.at),
      on: { click: () => seekTo(e) } },
      h("span", { class: "offset mono" }, formatDuration(e.offset_ms)), " ",
      h("span", { class: `ev ev-${e.isFlag ? "flag" : "event"}` }, label),
      who ? h("span", { class: "muted" }, ` · ${who}`) : null,
      detail ? h("span", { class: "muted" }, ` · ${detail}`) : null);
    return h("li", { dataset: { event: e.event } }, btn);
  }));
  if (!events.length) eventList.append(h("li", { class: "empty" }, t("conv.noEvents")));

  // Copies.
  const copyRows = recordings.flatMap((r, i) => r.copies.map((c) => h("tr", {},
    recordings.length > 1 ? h("td", {}, String(i + 1)) : null,
    h("td", {}, c.store), h("td", { class: "num" }, formatBytes(c.size_bytes)),
    h("td", { class: "mono", title: c.sha256 }, c.sha256.slice(0, 12) + "…"),
    h("td", {}, formatTime(c.created_at)),
    h("td", {}, c.verified_at ? formatTime(c.verified_at) : h("span", { class: "badge warn" }, t("copies.unverified"))))));
  const copyHeaders = [recordings.length > 1 ? t("conv.recordingCol") : null, t("copies.store"), t("copies.size"),
    t("copies.sha256"), t("copies.created"), t("copies.verified")].filter(Boolean);
  const copies = h("div", { id: "copies" },
    copyRows.length ? table({ class: "copies" }, copyHeaders, copyRows) : h("p", { class: "empty" }, t("copies.none")));

  const deliveries = h("div", { id: "conversation-deliveries" });

  replace(main,
    h("p", {}, h("a", { href: "#/search" }, "← ", t("conv.back"))),
    h("h1", { class: "mono-title" }, title), meta,
    playerSection,
    h("section", { class: "card", "aria-labelledby": "h-timeline" },
      h("h2", { id: "h-timeline" }, t("conv.participants")), timeline),
    h("section", { class: "card", "aria-labelledby": "h-events" },
      h("h2", { id: "h-events" }, t("conv.events")), eventList),
    h("section", { class: "card", "aria-labelledby": "h-copies" },
      h("h2", { id: "h-copies" }, t("conv.copies")), copies),
    h("section", { class: "card", "aria-labelledby": "h-deliveries" },
      h("h2", { id: "h-deliveries" }, t("conv.deliveries")), deliveries));

  // --- behaviour -------------------------------------------------------
  let channels = [];
  let raf = 0;

  function duration() {
    return Number.isFinite(player.duration) && player.duration > 0 ? player.duration : (current ? current.duration_ms / 1000 : 0);
  }

  function redraw() {
    const d = duration();
    const progress = d ? Math.min(1, player.currentTime / d) : 0;
    for (const c of channels) drawWaveform(c.canvas, c.data, progress, WAVE_COLORS[c.data.label] || WAVE_COLORS.mono);
    for (const c of channels) c.canvas.setAttribute("aria-valuenow", String(Math.round(player.currentTime)));
    if (current) {
      const frac = Math.max(0, Math.min(1, (start - origin + current.offset_ms + player.currentTime * 1000) / span));
      head.style.left = `calc(14.5rem + (100% - 14.5rem) * ${frac})`;
    }
  }

  function loop() {
    redraw();
    raf = player.paused || !document.body.contains(player) ? 0 : requestAnimationFrame(loop);
  }

  function seekSeconds(s) {
    const d = duration();
    const target = Math.max(0, d ? Math.min(d, s) : s);
    const apply = () => { player.currentTime = target; redraw(); };
    if (player.readyState >= 1) apply();
    else player.addEventListener("loadedmetadata", apply, { once: true });
  }

  function seekTo(e) {
    if (!current) return;
    const rec = (e.recording_id && recordings.find((r) => r.id === e.recording_id)) || current;
    if (rec !== current) {
      document.getElementById("recording-select").value = rec.id;
      select(rec);
    }
    seekSeconds((e.offset_ms - rec.offset_ms) / 1000);
    player.focus();
  }

  async function loadPeaks(rec) {
    replace(waves);
    channels = [];
    const width = Math.max(16, Math.min(4000, Math.floor(waves.clientWidth || 800)));
    let peaks;
    try {
      peaks = await api(`/v1/recordings/${encodeURIComponent(rec.id)}/peaks`, { query: { bins: width } });
    } catch (err) {
      if (current !== rec) return;
      showError(waves, err, t("conv.waveform"));
      return;
    }
    if (current !== rec || !isCurrent(gen)) return;
    for (const ch of peaks.channels) {
      const label = t(`side.${ch.label}`);
      const canvas = h("canvas", { class: "waveform", tabindex: "0", role: "slider",
        "aria-label": t("conv.waveformOf", { channel: label }),
        "aria-valuemin": "0", "aria-valuemax": String(Math.round(peaks.duration_ms / 1000)), "aria-valuenow": "0",
        dataset: { channel: ch.label } });
      waves.append(h("div", { class: "wave-row" }, h("span", { class: `wave-label badge side-${ch.label}` }, label), canvas));
      const ratio = window.devicePixelRatio || 1;
      canvas.width = Math.floor(width * ratio);
      canvas.height = Math.floor(64 * ratio);
      canvas.addEventListener("click", (ev) => {
        const rect = canvas.getBoundingClientRect();
        seekSeconds(((ev.clientX - rect.left) / rect.width) * duration());
      });
      canvas.addEventListener("keydown", (ev) => {
        const step = { ArrowLeft: -5, ArrowRight: 5, PageDown: -30, PageUp: 30 }[ev.key];
        if (step !== undefined) { seekSeconds(player.currentTime + step); ev.preventDefault(); }
        else if (ev.key === "Home") { seekSeconds(0); ev.preventDefault(); }
        else if (ev.key === "End") { seekSeconds(duration()); ev.preventDefault(); }
        else if (ev.key === " ") { player.paused ? player.play() : player.pause(); ev.preventDefault(); }
      });
      channels.push({ canvas, data: ch });
    }
    redraw();
  }

  function select(rec) {
    current = rec;
    player.src = `/v1/recordings/${encodeURIComponent(rec.id)}/audio`;
    replace(recInfo,
      h("span", {}, `${rec.format} · ${rec.codec} · ${rec.channels === 2 ? t("conv.stereo") : t("conv.mono")} · ${rec.sample_rate} Hz · ${formatDuration(rec.duration_ms)} · ${formatBytes(rec.size_bytes)} · ${t(`source.${rec.source}`)}`),
      (rec.flags || []).map((f) => [" ", h("span", { class: `badge warn flag-${f}` }, flagLabel(f))]));
    const base = `/v1/recordings/${encodeURIComponent(rec.id)}/audio`;
    replace(downloads,
      h("a", { id: "download-original", href: `${base}?download=1`, download: "" }, t("conv.downloadOriginal", { format: rec.format })),
      " ",
      h("a", { id: "download-mp3", href: `${base}?format=mp3&download=1`, download: "" }, t("conv.downloadMp3")));
    loadPeaks(rec);
  }

  player.addEventListener("play", () => { if (!raf) raf = requestAnimationFrame(loop); });
  player.addEventListener("seeked", redraw);
  player.addEventListener("timeupdate", () => { if (!raf) redraw(); });
  player.addEventListener("loadedmetadata", redraw);

  if (recordings.length) select(recordings[0]);

  // This call's deliveries.
  async function loadDeliveries() {
    try {
      const items = await api(`/v1/conversations/${encodeURIComponent(id)}/deliveries`);
      const names = await destinationNames();
      if (!isCurrent(gen)) return;
      const rows = items.map((d) => h("tr", { dataset: { deliveryId: d.id, state: d.state } },
        h("td", {}, names.get(d.destination_id) || d.destination_kind), h("td", {}, d.event),
        h("td", {}, h("span", { class: `badge state-${d.state}` }, stateLabel(d.state))),
        h("td", { class: "num" }, String(d.attempts)),
        h("td", { class: "error-text" }, d.last_error || "—"),
        h("td", {}, formatTime(d.updated_at)),
        h("td", {}, retryButton(d, loadDeliveries))));
      replace(deliveries, rows.length
        ? table({ class: "deliveries" }, [t("del.destination"), t("del.event"), t("del.state"), t("del.attempts"),
          t("del.lastError"), t("del.updated"), t("del.action")], rows)
        : h("p", { class: "empty" }, t("del.noneForCall")));
    } catch (e) {
      if (!isCurrent(gen)) return;
      replace(deliveries);
      showError(deliveries, e, t("conv.deliveries"));
    }
  }
  await loadDeliveries();
}
