// New video → plan preview with its estimate → edit the shot cards → approve (a job from the plan).

import { api } from "./api.js";
import { aboutEstimate, fill, h, seconds, toast } from "./dom.js";

const TRANSITIONS = ["cut", "fade", "dissolve", "wipeleft", "wiperight", "slideleft", "slideright", "circleopen", "fadeblack"];

export async function renderNew(view) {
  const limits = await api("/v1/limits");
  const refs = h("div", { id: "refs" });
  const addRef = () => refs.append(h("div", { class: "ref-row" },
    h("input", { type: "text", class: "ref-name", placeholder: "name used in the request, e.g. hero", pattern: "[a-z0-9][a-z0-9_-]{0,39}" }),
    h("input", { type: "file", class: "ref-file", accept: "image/png,image/jpeg" })));
  const option = (v) => h("option", { value: v }, v);
  const form = h("form", { id: "new-form", class: "card" },
    h("label", {}, "What should the video show?",
      h("textarea", { id: "request", rows: 4, required: true, maxlength: 2000,
        placeholder: "a 60-second video: a red ball crosses a meadow, night falls, then it bounces back home" })),
    h("div", { class: "row" },
      h("label", {}, "Length (seconds, optional)",
        h("input", { id: "seconds", type: "number", min: 1, max: limits.max_seconds, step: "any" })),
      h("label", {}, "Model", h("select", { id: "model" }, limits.models.map(option))),
      h("label", {}, "Planner", h("select", { id: "planner" }, limits.planners.map(option))),
      h("label", {}, "Seed", h("input", { id: "seed", type: "number", min: 0, value: 0, step: 1 }))),
    h("fieldset", {}, h("legend", {}, `Reference images (up to ${limits.max_references}; name them as the request does)`),
      refs, h("button", { type: "button", class: "small", onclick: addRef }, "Add a reference")),
    h("div", { class: "bar" }, h("span", { id: "new-status", class: "muted" }),
      h("button", { type: "submit", id: "plan-button" }, "Plan it (nothing is generated yet)")));
  form.addEventListener("submit", (e) => { e.preventDefault(); submitNew(form); });
  fill(view, h("h2", {}, "New video"), form);
}

async function submitNew(form) {
  const status = form.querySelector("#new-status");
  const button = form.querySelector("#plan-button");
  button.disabled = true;
  try {
    const references = [];
    for (const row of form.querySelectorAll(".ref-row")) {
      const file = row.querySelector(".ref-file").files[0];
      const name = row.querySelector(".ref-name").value.trim();
      if (!file && !name) continue;
      if (!file || !name) throw new Error("each reference needs a name and an image");
      fill(status, `uploading ${name}…`);
      const data = new FormData();
      data.append("file", file);
      const up = await api("/v1/uploads", { method: "POST", form: data });
      references.push({ name, upload_id: up.id });
    }
    const body = { request: form.querySelector("#request").value, references,
      options: { model: form.querySelector("#model").value, planner: form.querySelector("#planner").value,
        seed: Number(form.querySelector("#seed").value || 0) } };
    const secs = form.querySelector("#seconds").value;
    if (secs) body.seconds = Number(secs);
    fill(status, "planning…");
    const plan = await api("/v1/plans", { method: "POST", json: body });
    location.hash = `#/plan/${encodeURIComponent(plan.id)}`;
  } catch (err) {
    fill(status, "");
    toast(err.message, true);
  } finally {
    button.disabled = false;
  }
}

export async function renderPlan(view, planId) {
  const plan = await api(`/v1/plans/${encodeURIComponent(planId)}`);
  const board = structuredClone(plan.storyboard);
  const estimate = h("p", { id: "estimate", class: "estimate" }, aboutEstimate(plan.estimate));
  const length = h("span", { id: "plan-length" }, seconds(boardSeconds(board)));
  const cards = h("ol", { id: "plan-cards", class: "cards" });
  const state = { dirty: false };
  const changed = () => { state.dirty = true; fill(length, seconds(boardSeconds(board))); save.disabled = false; };
  const redraw = () => fill(cards, board.shots.map((shot, i) => planCard(board, shot, i, changed, redraw)));
  const title = h("input", { id: "title", type: "text", value: board.title || "", maxlength: 2000, placeholder: "no title",
    oninput: (e) => { board.title = e.target.value || null; changed(); } });
  const save = h("button", { type: "button", id: "save-plan", disabled: true,
    onclick: async () => { if (await saveBoard(planId, board, estimate)) { state.dirty = false; save.disabled = true; } } },
    "Save changes and estimate again");
  const approve = h("button", { type: "button", id: "approve", class: "primary", onclick: async () => {
    approve.disabled = true;
    try {
      if (state.dirty && !(await saveBoard(planId, board, estimate))) return;
      const job = await api("/v1/jobs", { method: "POST", json: { request: plan.request.request, options: { plan_id: planId } } });
      location.hash = `#/job/${encodeURIComponent(job.id)}`;
    } catch (err) {
      toast(err.message, true);
    } finally {
      approve.disabled = false;
    }
  } }, "Approve and generate");
  redraw();
  fill(view,
    h("h2", {}, "Plan"),
    h("p", { class: "request", id: "plan-request" }, plan.request.request),
    h("div", { class: "card" },
      h("p", {}, "Length ", length, ` · ${board.shots.length} shots · model ${plan.request.model} · planner ${plan.request.planner}`),
      estimate,
      h("label", { class: "inline" }, "Title ", title),
      plan.references.length ? h("p", { class: "muted" }, "References: ", plan.references.map((r) => `${r.id} (${r.source})`).join(", ")) : null),
    cards,
    h("div", { class: "bar sticky" }, save, approve));
}

function boardSeconds(board) {
  const shown = board.shots.reduce((a, s) => a + (s.seconds - (s.trim_start || 0) - (s.trim_end || 0)) / (s.speed || 1), 0);
  return shown - board.shots.slice(0, -1).reduce((a, s) => a + (s.transition?.seconds || 0), 0);
}

function planCard(board, shot, i, changed, redraw) {
  const last = i === board.shots.length - 1;
  const set = (k) => (e) => { shot[k] = e.target.type === "number" ? Number(e.target.value) : e.target.value; changed(); };
  const kind = h("select", { class: "transition-kind", disabled: last, onchange: (e) => {
    shot.transition = { kind: e.target.value, seconds: e.target.value === "cut" ? 0 : Math.max(shot.transition.seconds || 0, 0.5) };
    secs.value = shot.transition.seconds; secs.disabled = e.target.value === "cut"; changed();
  } }, TRANSITIONS.map((t) => h("option", { value: t, selected: t === shot.transition.kind }, t)));
  const secs = h("input", { type: "number", class: "transition-seconds", min: 0, max: 5, step: 0.1, value: shot.transition.seconds,
    disabled: last || shot.transition.kind === "cut",
    oninput: (e) => { shot.transition = { ...shot.transition, seconds: Number(e.target.value) }; changed(); } });
  const move = (to) => { const [s] = board.shots.splice(i, 1); board.shots.splice(to, 0, s); fixContinuity(board); changed(); redraw(); };
  return h("li", { class: "shot card", dataset: { shot: shot.id } },
    h("div", { class: "bar" }, h("strong", {}, `${i + 1}. ${shot.id}`),
      h("span", {},
        h("button", { type: "button", class: "small", disabled: i === 0, title: "move up", onclick: () => move(i - 1) }, "↑"),
        h("button", { type: "button", class: "small", disabled: last, title: "move down", onclick: () => move(i + 1) }, "↓"),
        h("button", { type: "button", class: "small danger", disabled: board.shots.length === 1, title: "remove",
          onclick: () => { board.shots.splice(i, 1); fixContinuity(board); changed(); redraw(); } }, "✕"))),
    h("p", { class: "intent" }, shot.intent),
    h("label", {}, "Prompt", h("textarea", { class: "prompt", rows: 2, maxlength: 2000, value: shot.prompt, oninput: set("prompt") })),
    h("div", { class: "row" },
      h("label", {}, "Seconds", h("input", { type: "number", class: "seconds", min: 0.5, step: 0.5, value: shot.seconds, oninput: set("seconds") })),
      h("label", { class: "check" }, h("input", { type: "checkbox", class: "continuous", checked: shot.continuous, disabled: i === 0,
        onchange: (e) => { shot.continuous = e.target.checked; changed(); } }), " continues the previous shot"),
      h("label", {}, "Then", kind, secs)),
    h("label", {}, "Caption", h("input", { type: "text", class: "caption", value: shot.caption || "", placeholder: "none",
      oninput: (e) => { shot.caption = e.target.value || null; changed(); } })));
}

function fixContinuity(board) {
  if (board.shots.length) board.shots[0].continuous = false;
  const last = board.shots[board.shots.length - 1];
  if (last) last.transition = { kind: "cut", seconds: 0 };
}

async function saveBoard(planId, board, estimate) {
  try {
    const plan = await api(`/v1/plans/${encodeURIComponent(planId)}/storyboard`, { method: "PUT", json: { storyboard: board } });
    fill(estimate, aboutEstimate(plan.estimate));
    toast("plan saved");
    return true;
  } catch (err) {
    toast(err.message, true);
    return false;
  }
}
