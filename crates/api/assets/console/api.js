// The one way the console talks to the API: same-origin fetch with the
// session cookie, the CSRF token on every state-changing request, and
// problem+json errors turned into ApiError.

let csrf = null;
let onUnauthorized = () => {};

/** Remember the session's CSRF token (null when signed out). */
export function setCsrf(token) {
  csrf = token;
}

/** Called whenever an API call answers 401 (the session ended). */
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

/** An error answer from the API, with the problem's detail. */
export class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }

  /** The route is absent, not configured or not enabled on this server. */
  get notAvailable() {
    return this.status === 404 || this.status === 501 || this.status === 503;
  }
}

/**
 * Call the API. opts: {method, body (JSON), query (object), quiet401}.
 * Resolves to the parsed JSON (null for 204).
 */
export async function api(path, opts = {}) {
  const method = opts.method || "GET";
  const headers = { Accept: "application/json" };
  if (!["GET", "HEAD", "OPTIONS"].includes(method) && csrf) headers["X-CSRF-Token"] = csrf;
  let body;
  if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.body);
  }
  let url = path;
  if (opts.query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query)) {
      if (v !== undefined && v !== null && v !== "") q.set(k, v);
    }
    const s = q.toString();
    if (s) url += "?" + s;
  }
  let resp;
  try {
    resp = await fetch(url, { method, headers, body, credentials: "same-origin" });
  } catch (e) {
    throw new ApiError(0, "network", e.message);
  }
  if (resp.status === 401 && !opts.quiet401) onUnauthorized();
  if (!resp.ok) {
    let code = "";
    let detail = "";
    try {
      const p = await resp.json();
      code = p.code || "";
      detail = p.detail || p.title || "";
    } catch (_) {
      detail = resp.statusText;
    }
    throw new ApiError(resp.status, code, detail);
  }
  if (resp.status === 204) return null;
  const type = resp.headers.get("Content-Type") || "";
  return type.includes("json") ? resp.json() : null;
}
