// The job API, with the tab's token as a header. The token lives in sessionStorage (this tab only),
// is sent as "Authorization: Bearer …" and never put in a URL; no cookie is used, so another site
// cannot make the browser send it (no CSRF).

const KEY = "longcut-token";

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (t) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

let onSignedOut = () => {};
export function whenSignedOut(f) { onSignedOut = f; }

function detailText(detail) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) return detail.map((d) => d.msg || JSON.stringify(d)).join("; ");
  return JSON.stringify(detail);
}

/** Call the API; JSON in and out (``form``: a FormData upload; ``raw``: the Response). */
export async function api(path, { method = "GET", json, form, raw = false, signal, headers = {} } = {}) {
  const h = { Authorization: `Bearer ${token.get() || ""}`, ...headers };
  let body;
  if (json !== undefined) {
    h["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  const r = await fetch(path, { method, headers: h, body, signal, cache: "no-store", credentials: "omit" });
  if (r.status === 401) {
    onSignedOut("the server refused the token");
    throw new ApiError(401, "the server refused the token");
  }
  if (!r.ok) {
    let detail = r.statusText;
    try { detail = detailText((await r.json()).detail); } catch { /* not JSON */ }
    throw new ApiError(r.status, detail);
  }
  if (raw) return r;
  return r.status === 204 ? null : r.json();
}

/** A blob: URL of an authenticated file (images, clips, the video), for <img>/<video>/<a download>. */
export async function blobUrl(path, signal) {
  const r = await api(path, { raw: true, signal });
  return URL.createObjectURL(await r.blob());
}

/**
 * Follow a job's Server-Sent Events (``/v1/jobs/{id}/events``) through fetch, since EventSource cannot
 * send the token header. Calls ``onEvent(name, data, id)``; resumes after a dropped connection with
 * the last id; returns when the stream sends ``end`` or ``signal`` aborts.
 */
export async function followEvents(jobId, onEvent, signal) {
  let last = null;
  for (let tries = 0; tries < 30 && !signal.aborted; tries++) {
    const headers = { Accept: "text/event-stream" };
    if (last !== null) headers["Last-Event-ID"] = last;
    let ended = false;
    try {
      const r = await api(`/v1/jobs/${encodeURIComponent(jobId)}/events`, { raw: true, signal, headers });
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const ev = { event: "message", data: [], id: null };
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) continue;
            const i = line.indexOf(":");
            const field = i < 0 ? line : line.slice(0, i);
            const val = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
            if (field === "event") ev.event = val;
            else if (field === "data") ev.data.push(val);
            else if (field === "id") ev.id = val;
          }
          if (ev.id !== null) last = ev.id;
          if (!ev.data.length) continue;
          let data;
          try { data = JSON.parse(ev.data.join("\n")); } catch { continue; }
          onEvent(ev.event, data, ev.id);
          if (ev.event === "end") ended = true;
        }
      }
    } catch (err) {
      if (signal.aborted || (err instanceof ApiError && err.status !== 503)) return;
    }
    if (ended) return;
    await new Promise((ok) => setTimeout(ok, 1000));
  }
}
