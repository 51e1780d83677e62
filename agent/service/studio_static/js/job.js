// Watch a job: live progress over its event stream (stage, shot i of n, retries, review verdicts),
// the storyboard's shot cards, and the finished video with a download.

import { api, blobUrl, followEvents } from "./api.js";
import { fill, h, seconds, toast } from "./dom.js";
import { TakeShelf } from "./takes.js";

const FINISHED = new Set(["succeeded", "failed", "cancelled"]);

/** Renders the job view; returns its clean-up (stops the stream, frees blob URLs). */
export async function renderJob(view, jobId) {
  const stop = new AbortController();
  const urls = [];
  let job = await api(`/v1/jobs/${encodeURIComponent(jobId)}`);
  const status = h("span", { id: "job-status", class: `status ${job.status}` }, job.status);
  const bar = h("div", { class: "progress" }, h("div", { id: "progress-fill" }));
  const stage = h("p", { id: "stage", class: "muted" });
  const log = h("ol", { id: "events", class: "events" });
  const cards = h("ol", { id: "shot-cards", class: "cards" });
  const player = h("div", { id: "player" });
  const req = job.request || {};
  const shelf = new TakeShelf(job.session);
  const pictures = () => {
    for (const card of cards.children) shelf.show(card, shelf.current(card.dataset.shot, FINISHED.has(job.status) ? job.revision : null));
  };
  fill(view,
    h("div", { class: "bar" }, h("h2", {}, job.kind === "refine" ? "Refinement" : "Video"), status),
    h("p", { class: "request", id: "job-request" }, job.kind === "refine" ? req.feedback : req.request),
    h("div", { class: "card" }, bar, stage, h("details", {}, h("summary", {}, "Events"), log)),
    player, cards);

  const show = (j) => {
    job = j;
    fill(status, j.status);
    status.className = `status ${j.status}`;
    setProgress(bar, stage, j.progress);
    if (j.storyboard) drawCards(cards, j.storyboard);
    if (j.error) fill(stage, j.error);
    if (j.status !== "queued") shelf.soon(pictures, 0);
  };
  show(job);

  const onEvent = (name, data) => {
    if (name === "end") return;
    log.append(h("li", { class: data.stage === "review" ? "review" : "" }, eventLine(data)));
    setProgress(bar, stage, data);
    if (data.stage === "plan" && data.data && data.data.storyboard) drawCards(cards, data.data.storyboard);
    if (data.shot || data.stage === "review" || data.stage === "done") shelf.soon(pictures);
  };
  (async () => {
    await followEvents(jobId, onEvent, stop.signal); // a finished job's log, then its end
    if (stop.signal.aborted) return;
    show(await api(`/v1/jobs/${encodeURIComponent(jobId)}`));
    await shelf.refresh();
    pictures();
    if (job.status === "succeeded") showVideo(player, job, urls, stop.signal);
  })().catch((err) => { if (!stop.signal.aborted) toast(err.message, true); });

  return () => { stop.abort(); shelf.free(); for (const u of urls) URL.revokeObjectURL(u); };
}

function eventLine(e) {
  const shot = e.shot_index ? ` shot ${e.shot_index}/${e.shots}` : "";
  const retry = e.attempt && e.attempt > 1 ? ` (try ${e.attempt})` : "";
  return `[${e.stage}${shot}${retry}] ${e.message}`;
}

function setProgress(bar, stage, p) {
  if (!p) return;
  if (typeof p.percent === "number") bar.firstChild.style.width = `${Math.max(0, Math.min(100, p.percent))}%`;
  if (p.message) fill(stage, eventLine(p));
}

export function drawCards(cards, board) {
  const have = new Map([...cards.children].map((li) => [li.dataset.shot, li]));
  const order = board.shots.map((shot, i) => {
    const li = have.get(shot.id) || h("li", { class: "shot card", dataset: { shot: shot.id } },
      h("div", { class: "thumb" }), h("div", { class: "body" }));
    fill(li.querySelector(".body"),
      h("div", { class: "bar" }, h("strong", {}, `${i + 1}. ${shot.id}`), h("span", { class: "muted" }, seconds(shot.seconds))),
      h("p", { class: "intent" }, shot.intent),
      h("p", { class: "prompt muted" }, shot.prompt),
      shot.caption ? h("p", { class: "caption" }, "Caption: ", shot.caption) : null,
      h("p", { class: "muted small" }, `${shot.continuous ? "continues the previous shot · " : ""}then ${shot.transition.kind}`));
    return li;
  });
  cards.replaceChildren(...order);
}

async function showVideo(player, job, urls, signal) {
  const url = await blobUrl(job.result.video, signal);
  urls.push(url);
  fill(player, h("div", { class: "card" },
    h("video", { id: "video", src: url, controls: true, preload: "metadata" }),
    h("div", { class: "bar" }, h("span", { class: "muted" }, job.storyboard && job.storyboard.title ? job.storyboard.title : ""),
      h("span", {}, h("a", { id: "review", class: "button", href: `#/session/${encodeURIComponent(job.session)}` }, "Review and refine"),
        " ", h("a", { id: "download", class: "button", href: url, download: `longcut-${job.id}.mp4` }, "Download")))));
}
