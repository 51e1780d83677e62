// The studio's entry: sign in, then one view per location hash (#/jobs, #/new, #/plan/ID, #/job/ID).
// The hash holds ids only; the token never leaves sessionStorage except as a request header.

import { api, token, whenSignedOut } from "./api.js";
import { fill, toast } from "./dom.js";
import { renderJobs } from "./jobs.js";
import { renderNew, renderPlan } from "./plan.js";
import { renderJob } from "./job.js";
import { renderSession } from "./session.js";

const $ = (id) => document.getElementById(id);
let leaving = null; // the current view's clean-up (closes its event stream)

function showLogin(message = "") {
  token.clear();
  $("nav").hidden = true;
  $("view").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message;
  $("token").focus();
}

async function signIn(event) {
  event.preventDefault();
  token.set($("token").value.trim());
  $("token").value = "";
  try {
    await api("/v1/jobs?limit=1");
  } catch (err) {
    showLogin(err.status === 401 ? "That token was refused." : `The server answered: ${err.message}`);
    return;
  }
  start();
}

function start() {
  $("login").hidden = true;
  $("nav").hidden = false;
  $("view").hidden = false;
  route();
}

async function route() {
  if (!token.get()) return showLogin();
  if (leaving) leaving();
  leaving = null;
  const view = $("view");
  const [, where = "jobs", id] = location.hash.split("/");
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("here", a.id === `nav-${where}`);
  try {
    if (where === "new") await renderNew(view);
    else if (where === "plan" && id) await renderPlan(view, decodeURIComponent(id));
    else if (where === "job" && id) leaving = await renderJob(view, decodeURIComponent(id));
    else if (where === "session" && id) leaving = await renderSession(view, decodeURIComponent(id));
    else await renderJobs(view);
  } catch (err) {
    if (err.status === 401) return;
    fill(view).append(document.createTextNode(`Could not show this page: ${err.message}`));
    toast(err.message, true);
  }
}

whenSignedOut((why) => showLogin(`Signed out: ${why}.`));
$("login-form").addEventListener("submit", signIn);
$("logout").addEventListener("click", () => showLogin());
window.addEventListener("hashchange", route);
if (token.get()) start();
else showLogin();
