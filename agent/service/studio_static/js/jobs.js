// The jobs list of this token: what each asked, its status, length and cost; open, cancel or delete it.

import { api } from "./api.js";
import { fill, h, seconds, toast } from "./dom.js";

const FINISHED = new Set(["succeeded", "failed", "cancelled"]);

export async function renderJobs(view) {
  const page = await api("/v1/jobs?limit=50");
  const rows = page.jobs.map(jobRow);
  fill(view,
    h("div", { class: "bar" }, h("h2", {}, "Your videos"), h("a", { href: "#/new", class: "button" }, "New video")),
    rows.length
      ? h("table", { id: "jobs", class: "jobs" },
        h("thead", {}, h("tr", {}, ["Request", "Status", "Length", "Cost", ""].map((t) => h("th", {}, t)))),
        h("tbody", {}, rows))
      : h("p", { id: "no-jobs" }, "No videos yet. Start one with ", h("a", { href: "#/new" }, "New video"), "."));
  for (const row of rows) fillCost(row);
}

function jobRow(job) {
  const req = job.request || {};
  const text = job.kind === "refine" ? `↻ ${req.feedback || ""}` : req.request || "";
  const actions = h("td", { class: "actions" });
  if (FINISHED.has(job.status)) {
    actions.append(h("button", { type: "button", class: "danger small", "data-action": "delete", onclick: () => remove(job) }, "Delete"));
  } else {
    actions.append(h("button", { type: "button", class: "small", "data-action": "cancel", onclick: () => cancel(job) }, "Cancel"));
  }
  return h("tr", { dataset: { job: job.id, status: job.status } },
    h("td", { class: "request" }, h("a", { href: `#/job/${encodeURIComponent(job.id)}` }, text)),
    h("td", {}, h("span", { class: `status ${job.status}` }, job.status)),
    h("td", {}, seconds(req.seconds)),
    h("td", { class: "cost" }, "…"),
    actions);
}

async function fillCost(row) {
  const cell = row.querySelector(".cost");
  try {
    const job = await api(`/v1/jobs/${encodeURIComponent(row.dataset.job)}`);
    const c = job.cost;
    if (!c) return fill(cell, "–");
    const wall = c.wall_seconds ?? c.estimate_seconds;
    const usd = c.usd ?? c.estimate_usd ?? 0;
    fill(cell, `${seconds(wall)}${c.wall_seconds == null ? " (estimate)" : ""}, $${Number(usd).toFixed(4)}`);
  } catch {
    fill(cell, "–");
  }
}

async function remove(job) {
  if (!confirm("Delete this job and its video?")) return;
  try {
    await api(`/v1/jobs/${encodeURIComponent(job.id)}`, { method: "DELETE" });
    toast("deleted");
  } catch (err) {
    toast(err.message, true);
  }
  renderJobs(document.getElementById("view"));
}

async function cancel(job) {
  try {
    await api(`/v1/jobs/${encodeURIComponent(job.id)}/cancel`, { method: "POST" });
    toast("cancel requested");
  } catch (err) {
    toast(err.message, true);
  }
  renderJobs(document.getElementById("view"));
}
