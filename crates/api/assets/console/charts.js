// Drawing on <canvas>: waveforms with a playhead, bar charts, a forecast.
// Colours meet 4.5:1 against the white background where they carry text.

const INK = "#1a1a1a";
const MUTED = "#595959";
const GRID = "#d0d0d0";

/** Size the canvas's backing store to its CSS box (sharp on HiDPI). */
export function fit(canvas, cssHeight) {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.max(16, Math.floor(canvas.clientWidth || canvas.parentElement.clientWidth || 300));
  canvas.width = Math.floor(width * ratio);
  canvas.height = Math.floor(cssHeight * ratio);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return { ctx, width, height: cssHeight };
}

/**
 * A waveform: min/max per bin (−127..127), played part darker, and a
 * playhead at progress (0..1).
 */
export function drawWaveform(canvas, channel, progress, colors) {
  const ratio = window.devicePixelRatio || 1;
  const ctx = canvas.getContext("2d");
  const width = canvas.width / ratio;
  const height = canvas.height / ratio;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const n = channel.max.length;
  const mid = height / 2;
  const scale = (height / 2 - 2) / 127;
  const step = width / n;
  const playedX = progress * width;
  ctx.fillStyle = GRID;
  ctx.fillRect(0, mid, width, 1);
  for (let i = 0; i < n; i++) {
    const x = i * step;
    const top = mid - Math.max(0, channel.max[i]) * scale;
    const bottom = mid - Math.min(0, channel.min[i]) * scale;
    ctx.fillStyle = x < playedX ? colors.played : colors.wave;
    ctx.fillRect(x, top, Math.max(1, step - (step > 2 ? 0.5 : 0)), Math.max(1, bottom - top));
  }
  ctx.fillStyle = colors.head;
  ctx.fillRect(Math.min(width - 2, Math.max(0, playedX - 1)), 0, 2, height);
}

/**
 * Grouped bars: labels along x, one bar per series and label.
 * series: [{label, color, values}]
 */
export function drawBars(canvas, labels, series, height = 220) {
  const { ctx, width } = fit(canvas, height);
  ctx.clearRect(0, 0, width, height);
  const left = 44;
  const bottom = 24;
  const top = 8;
  const plotH = height - bottom - top;
  const plotW = width - left - 8;
  const top0 = Math.max(0, ...series.flatMap((s) => s.values));
  const max = Math.max(2, Math.ceil(top0 / 2) * 2);
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillStyle = MUTED;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const frac of [0, 0.5, 1]) {
    const y = top + plotH * (1 - frac);
    ctx.fillStyle = GRID;
    ctx.fillRect(left, y, plotW, 1);
    ctx.fillStyle = MUTED;
    ctx.fillText(String(Math.round(max * frac)), left - 4, y);
  }
  const group = plotW / labels.length;
  const barW = Math.max(2, (group * 0.8) / series.length);
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  labels.forEach((label, i) => {
    series.forEach((s, j) => {
      const v = s.values[i] || 0;
      const hgt = (v / max) * plotH;
      ctx.fillStyle = s.color;
      ctx.fillRect(left + i * group + group * 0.1 + j * barW, top + plotH - hgt, barW - 1, hgt);
    });
    if (labels.length <= 16 || i % 2 === 0) {
      ctx.fillStyle = INK;
      ctx.fillText(label, left + i * group + group / 2, top + plotH + 6);
    }
  });
}

/**
 * A forecast: for each line, used bytes now growing at rate per day over
 * days; a dashed capacity line when known. lines: [{label, color, used,
 * rate, capacity}]
 */
export function drawForecast(canvas, lines, days, fmtBytes, dayLabel, height = 240) {
  const { ctx, width } = fit(canvas, height);
  ctx.clearRect(0, 0, width, height);
  const left = 70;
  const bottom = 24;
  const top = 10;
  const plotH = height - bottom - top;
  const plotW = width - left - 10;
  const max = Math.max(1, ...lines.map((l) => Math.max(l.capacity || 0, l.used + Math.max(0, l.rate || 0) * days)));
  const y = (v) => top + plotH * (1 - Math.min(v, max) / max);
  const x = (d) => left + (d / days) * plotW;
  ctx.font = "11px system-ui, sans-serif";
  ctx.textBaseline = "middle";
  ctx.textAlign = "right";
  for (const frac of [0, 0.25, 0.5, 0.75, 1]) {
    ctx.fillStyle = GRID;
    ctx.fillRect(left, y(max * frac), plotW, 1);
    ctx.fillStyle = MUTED;
    ctx.fillText(fmtBytes(max * frac), left - 4, y(max * frac));
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const d of [0, Math.round(days / 4), Math.round(days / 2), Math.round((3 * days) / 4), days]) {
    ctx.fillStyle = INK;
    ctx.fillText(dayLabel(d), x(d), top + plotH + 6);
  }
  for (const l of lines) {
    ctx.strokeStyle = l.color;
    ctx.lineWidth = 2;
    ctx.setLineDash([]);
    ctx.beginPath();
    ctx.moveTo(x(0), y(l.used));
    ctx.lineTo(x(days), y(l.used + Math.max(0, l.rate || 0) * days));
    ctx.stroke();
    if (l.capacity) {
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      ctx.moveTo(x(0), y(l.capacity));
      ctx.lineTo(x(days), y(l.capacity));
      ctx.stroke();
    }
  }
  ctx.setLineDash([]);
}
