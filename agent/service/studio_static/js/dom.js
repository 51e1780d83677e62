// Building the page from data. Text always enters as text nodes, never as HTML: a prompt or title
// such as <img src=x onerror=alert(1)> shows as those characters; nothing here parses data as HTML.

const URL_ATTRS = new Set(["href", "src", "poster"]);

function safeUrl(value) {
  const v = String(value);
  // Only our own paths and the blob: URLs of files fetched with the token; never javascript: or data:.
  if (v.startsWith("blob:") || v.startsWith("#") || (v.startsWith("/") && !v.startsWith("//"))) return v;
  throw new Error(`refused URL ${JSON.stringify(v.slice(0, 40))}`);
}

/** h("div", {class: "x", onclick: f}, "text", child): an element; children are nodes or text. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "value") el.value = v;
    else if (k === "checked" || k === "disabled" || k === "selected" || k === "hidden") el[k] = Boolean(v);
    else el.setAttribute(k, URL_ATTRS.has(k) ? safeUrl(v) : v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replace everything inside ``el`` by ``children``. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A short message at the bottom of the page (errors say what the server said). */
export function toast(message, isError = false) {
  const t = document.getElementById("toast");
  t.textContent = message;
  t.classList.toggle("error", isError);
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, isError ? 8000 : 3000);
}

export function seconds(s) {
  if (s === null || s === undefined) return "–";
  return s >= 90 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.round(s * 10) / 10} s`;
}

/** The estimate in one line: time (and its likely range), tries, dollars, and what it rests on. */
export function aboutEstimate(e) {
  if (!e) return "no estimate";
  const usd = e.usd ? `, $${e.usd.toFixed(4)}` : ", $0";
  if (e.wall_seconds === null || e.wall_seconds === undefined) {
    return `no time estimate (${e.backend} states no speed and has no record here yet), ${e.tries.toFixed(1)} tries${usd}`;
  }
  const range = e.wall_low != null && e.wall_high != null ? ` (likely ${seconds(e.wall_low)}–${seconds(e.wall_high)})` : "";
  const basis = e.calibrated ? `measured on ${e.measured_takes} takes here` : `${e.backend}'s own speed figure`;
  return `about ${seconds(e.wall_seconds)}${range}, ${e.tries.toFixed(1)} tries${usd} — ${basis}`;
}
