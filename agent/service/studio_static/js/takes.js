// Shot cards' pictures: each shot's take (poster filmstrip, preview clip on click) and its review verdict.
// Posters and clips are fetched with the token and shown from blob: URLs, one fetch per take.

import { api, blobUrl } from "./api.js";
import { fill, h } from "./dom.js";

export class TakeShelf {
  constructor(session) {
    this.session = session;
    this.urls = new Map(); // "take/kind" → blob URL
    this.data = null;
    this.pending = null;
  }

  async refresh() {
    this.data = await api(`/v1/sessions/${encodeURIComponent(this.session)}/takes`);
    return this.data;
  }

  /** Refresh at most every ``ms`` (events come in bursts). */
  soon(then, ms = 600) {
    if (this.pending) return;
    this.pending = setTimeout(async () => {
      this.pending = null;
      try { await this.refresh(); then(); } catch { /* the next event tries again */ }
    }, ms);
  }

  /** The take a card shows: the revision's, else the newest of the running turn, else the last revision's. */
  current(shotId, revision) {
    const d = this.data;
    if (!d) return null;
    const byId = new Map(d.takes.map((t) => [t.take_id, t]));
    if (revision && d.revisions[revision]) return byId.get(d.revisions[revision][shotId]) || null;
    if (d.pending_turn) {
      const mine = d.takes.filter((t) => t.shot === shotId && t.turn === d.pending_turn);
      if (mine.length) return mine[mine.length - 1];
    }
    const revs = Object.keys(d.revisions).map(Number).sort((a, b) => a - b);
    const last = revs.length ? d.revisions[revs[revs.length - 1]] : {};
    return byId.get(last[shotId]) || null;
  }

  takesOf(shotId) {
    return this.data ? this.data.takes.filter((t) => t.shot === shotId) : [];
  }

  async url(take, kind) {
    const key = `${take.take_id}/${kind}`;
    if (!this.urls.has(key)) this.urls.set(key, blobUrl(kind === "poster" ? take.poster : take.preview));
    return this.urls.get(key);
  }

  /** Put ``take``'s poster and verdict into ``card`` (a click plays its preview clip). */
  async show(card, take) {
    const thumb = card.querySelector(".thumb");
    const verdict = card.querySelector(".verdict") || card.appendChild(h("p", { class: "verdict small" }));
    if (!take) {
      fill(thumb, h("div", { class: "placeholder" }, "waiting for its take…"));
      fill(verdict);
      delete card.dataset.take;
      return;
    }
    if (card.dataset.take === take.take_id) return;
    card.dataset.take = take.take_id;
    fill(verdict, take.passed ? `take ${take.attempt} passed its checks` : `take ${take.attempt} failed: ${take.failed.join("; ")}`);
    verdict.classList.toggle("error", !take.passed);
    const src = await this.url(take, "poster");
    if (card.dataset.take !== take.take_id) return;
    const img = h("img", { src, alt: `shot ${take.shot}, take ${take.attempt}`, class: "poster", title: "click to play its preview" });
    img.addEventListener("click", async () => {
      const clip = await this.url(take, "preview");
      fill(thumb, h("video", { src: clip, class: "preview", muted: true, autoplay: true, loop: true, playsinline: true, controls: true }));
    });
    fill(thumb, img);
  }

  free() {
    for (const p of this.urls.values()) p.then((u) => URL.revokeObjectURL(u)).catch(() => {});
    this.urls.clear();
    clearTimeout(this.pending);
  }
}
