// Review and refine a session: its latest video, each shot's take with its actions (regenerate, new prompt,
// choose an earlier take, lock, move, delete), free-form feedback, the revision history and undo.

import { api, blobUrl } from "./api.js";
import { fill, h, seconds, toast } from "./dom.js";
import { TakeShelf } from "./takes.js";

const ACTIVE = new Set(["queued", "running"]);

export async function renderSession(view, name) {
  const s = await api(`/v1/sessions/${encodeURIComponent(name)}`);
  const shelf = new TakeShelf(name);
  await shelf.refresh();
  const latest = s.revisions[s.revisions.length - 1];
  const running = s.jobs.filter((j) => ACTIVE.has(j.status));
  const player = h("div", { id: "session-player", class: "card" }, h("p", { class: "muted" }, "loading the video…"));
  const cards = h("ol", { id: "review-cards", class: "cards" });
  const board = s.storyboard;
  const last = board ? board.shots.length : 0;
  if (board) {
    for (const [i, shot] of board.shots.entries()) {
      const card = reviewCard(name, shot, i, last, shelf, latest);
      cards.append(card);
      shelf.show(card, shelf.current(shot.id, latest && String(latest.n)));
    }
  }
  const feedback = h("textarea", { id: "feedback", rows: 2, maxlength: 2000,
    placeholder: "make the second shot green and add a title 'Home'" });
  fill(view,
    h("div", { class: "bar" }, h("h2", {}, "Review and refine"), h("span", { class: "muted" }, `session ${name}`)),
    running.length ? h("p", { class: "card", id: "busy" }, "A job of this session is running: ",
      h("a", { href: `#/job/${encodeURIComponent(running[0].id)}` }, "watch it"), ".") : null,
    player,
    cards,
    h("div", { class: "card" },
      h("label", {}, "Feedback for the whole video (as `longcut refine`)", feedback),
      h("div", { class: "bar" }, h("span", { class: "muted small" }, "Only the shots your feedback changes are generated again."),
        h("button", { type: "button", id: "send-feedback", onclick: () => refine(name, feedback.value) }, "Refine"))),
    h("div", { class: "card" }, h("div", { class: "bar" }, h("h3", {}, "History"),
      h("button", { type: "button", id: "undo", disabled: s.revisions.length < 2 || running.length > 0,
        onclick: () => undo(view, name) }, "Undo the last change")),
      h("ol", { id: "history", class: "history" }, s.revisions.slice().reverse().map((r) => h("li", {},
        h("strong", {}, `#${r.n} `), r.request, h("span", { class: "muted small" },
          ` · ${seconds(r.seconds)} · ${r.regenerated.length ? `generated ${r.regenerated.join(", ")}` : "nothing generated"}`))))));
  if (latest) {
    const url = await blobUrl(`/v1/sessions/${encodeURIComponent(name)}/revisions/${latest.n}/video`);
    fill(player, h("video", { id: "video", src: url, controls: true, preload: "metadata" }),
      h("div", { class: "bar" }, h("span", { class: "muted" }, `revision ${latest.n}: ${latest.request}`),
        h("a", { id: "download", class: "button", href: url, download: `longcut-${name}-r${latest.n}.mp4` }, "Download")));
    return () => { URL.revokeObjectURL(url); shelf.free(); };
  }
  return () => shelf.free();
}

function reviewCard(name, shot, i, count, shelf, latest) {
  const prompt = h("textarea", { class: "prompt", rows: 2, maxlength: 2000, value: shot.prompt });
  const act = (edits) => edit(name, edits);
  const rendered = new Set(Object.values(shelf.data.revisions).map((keys) => keys[shot.id]).filter(Boolean));
  const current = latest ? shelf.data.revisions[String(latest.n)]?.[shot.id] : null;
  const others = shelf.takesOf(shot.id).filter((t) => rendered.has(t.take_id) && t.take_id !== current);
  const b = (label, action, attrs = {}) => h("button", { type: "button", class: "small", "data-action": action, ...attrs }, label);
  return h("li", { class: `shot card${shot.locked ? " locked" : ""}`, dataset: { shot: shot.id } },
    h("div", { class: "thumb" }),
    h("div", { class: "bar" }, h("strong", {}, `${i + 1}. ${shot.id}${shot.locked ? " 🔒" : ""}`),
      h("span", { class: "muted" }, seconds(shot.seconds))),
    h("p", { class: "intent" }, shot.intent),
    h("label", {}, "Prompt", prompt),
    h("div", { class: "actions" },
      b("Regenerate", "regenerate", { disabled: shot.locked, onclick: () => act([{ action: "regenerate", shot: shot.id }]) }),
      b("Save prompt", "prompt", { disabled: shot.locked, onclick: () => act([{ action: "prompt", shot: shot.id, prompt: prompt.value }]) }),
      b(shot.locked ? "Unlock" : "Lock", shot.locked ? "unlock" : "lock", { onclick: () => act([{ action: shot.locked ? "unlock" : "lock", shot: shot.id }]) }),
      b("↑", "up", { disabled: i === 0 || shot.locked, onclick: () => act([{ action: "move", shot: shot.id, position: i }]) }),
      b("↓", "down", { disabled: i === count - 1 || shot.locked, onclick: () => act([{ action: "move", shot: shot.id, position: i + 2 }]) }),
      b("Delete", "delete", { class: "small danger", disabled: count === 1 || shot.locked, onclick: () => act([{ action: "delete", shot: shot.id }]) })),
    others.length ? h("div", { class: "takes" }, h("span", { class: "muted small" }, "Earlier takes: "),
      others.map((t) => b(`take of #${revisionOf(shelf, shot.id, t.take_id)}`, "choose",
        { disabled: shot.locked, title: t.prompt, onclick: () => act([{ action: "choose", shot: shot.id, take_id: t.take_id }]) }))) : null);
}

function revisionOf(shelf, shotId, takeId) {
  const ns = Object.entries(shelf.data.revisions).filter(([, keys]) => keys[shotId] === takeId).map(([n]) => Number(n));
  return Math.max(...ns);
}

// Start a turn of session `name` (its `what` route: edits or turns) and watch its job.
async function startTurn(name, what, body) {
  try {
    const job = await api(`/v1/sessions/${encodeURIComponent(name)}/${what}`, { method: "POST", json: body });
    location.hash = `#/job/${encodeURIComponent(job.id)}`;
  } catch (err) {
    toast(err.message, true);
  }
}

function edit(name, edits) {
  return startTurn(name, "edits", { edits });
}

function refine(name, feedback) {
  if (!feedback.trim()) return toast("say what to change first", true);
  return startTurn(name, "turns", { feedback });
}

async function undo(view, name) {
  try {
    const rev = await api(`/v1/sessions/${encodeURIComponent(name)}/undo`, { method: "POST" });
    toast(`undone: ${rev.request}`);
  } catch (err) {
    toast(err.message, true);
  }
  window.dispatchEvent(new HashChangeEvent("hashchange"));
}
