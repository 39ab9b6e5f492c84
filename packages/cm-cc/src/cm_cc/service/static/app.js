// cm-cc web GUI: plain JavaScript, no build step. Every URL is relative to data-root.
"use strict";

const root = document.body.dataset.root || "./";
// every write carries the page's CSRF token; a page of another origin can neither read it nor set the header
const csrf = (document.querySelector('meta[name="cm-csrf"]') || {}).content || "";
const FINAL = ["done", "failed", "cancelled", "interrupted"];

async function api(path, options = {}) {
  const headers = Object.assign({ "X-CM-Request": csrf }, options.headers || {});
  const response = await fetch(root + "api/" + path, Object.assign({}, options, { headers, credentials: "same-origin" }));
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail; } catch (e) { /* not JSON */ }
    throw new Error(detail || ("HTTP " + response.status));
  }
  return response;
}

function clock(t) {
  return t == null ? "" : new Date(t * 1000).toLocaleTimeString([], { hour12: false });
}

function stateSpan(state) {
  const span = document.createElement("span");
  span.className = "state state-" + state;
  span.textContent = state;
  return span;
}

function showError(id, error) {
  const element = document.getElementById(id);
  if (element) element.textContent = error ? String(error.message || error) : "";
}

// -- index page ---------------------------------------------------------------------------
function stamp(t) {
  const d = new Date(t * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
}

function runRow(run) {
  const tr = document.createElement("tr");
  tr.dataset.run = run.id;
  const cells = [];
  for (let i = 0; i < 6; i++) { cells.push(document.createElement("td")); tr.appendChild(cells[i]); }
  const link = document.createElement("a");
  link.href = root + "runs/" + encodeURIComponent(run.id);
  link.textContent = run.id;
  cells[0].appendChild(link);
  cells[1].textContent = run.workflow;
  cells[2].appendChild(stateSpan(run.state));
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = run.progress;
  cells[3].append(bar, " " + run.progress + "%");
  for (const name of Object.keys(run.counts).sort()) {
    const span = document.createElement("span");
    span.className = "count state-" + name;
    span.textContent = name + " " + run.counts[name];
    cells[4].append(span, " ");
  }
  cells[5].textContent = stamp(run.created);
  return tr;
}

function followRuns() {
  let timer = null;
  async function refreshRuns() {
    timer = null;
    try {
      const runs = await (await api("runs")).json();
      if (runs.length) document.querySelector("#runs tbody").replaceChildren(...runs.map(runRow));
    } catch (error) { /* the next change tries again */ }
  }
  const source = new EventSource(root + "api/events");
  source.addEventListener("update", () => { if (timer === null) timer = setTimeout(refreshRuns, 200); });
}

function uploadType(name) {
  if (/\.ya?ml$/i.test(name)) return "application/yaml";
  return /\.zip$/i.test(name) ? "application/zip" : "application/gzip";
}

function initIndex() {
  followRuns();
  document.getElementById("upload").addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = document.getElementById("upload-file").files[0];
    if (!file) return;
    const params = new URLSearchParams();
    const name = document.getElementById("upload-name").value.trim();
    if (name) params.set("name", name);
    if (document.getElementById("upload-replace").checked) params.set("replace", "true");
    try {
      await api("workflows?" + params, {
        method: "POST",
        body: file,
        headers: { "Content-Type": uploadType(file.name) },
      });
      window.location.reload();
    } catch (error) {
      showError("upload-error", error);
    }
  });
  for (const button of document.querySelectorAll("button.run")) {
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const response = await api("workflows/" + encodeURIComponent(button.dataset.workflow) + "/runs", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: "{}",
        });
        const run = await response.json();
        window.location.href = root + "runs/" + encodeURIComponent(run.id);
      } catch (error) {
        showError("run-error", error);
        button.disabled = false;
      }
    });
  }
}

// -- run page -----------------------------------------------------------------------------
function initRun() {
  const run = document.body.dataset.run;
  const base = "runs/" + encodeURIComponent(run);
  const table = document.querySelector("#jobs tbody");
  let jobs = {};
  let source = null;
  let selected = null;
  let refreshTimer = null;
  let graphBusy = false;
  let graphAgain = false;

  function row(name) {
    let tr = table.querySelector('tr[data-job="' + CSS.escape(name) + '"]');
    if (!tr) {
      tr = document.createElement("tr");
      tr.dataset.job = name;
      tr.tabIndex = 0;
      for (const cls of ["name", "state-cell", "progress", "host", "start", "end", "elapsed"]) {
        const td = document.createElement("td");
        td.className = cls;
        tr.appendChild(td);
      }
      tr.querySelector(".name").textContent = name;
      tr.querySelector(".progress").innerHTML = '<progress max="100" value="0"></progress> <span class="pct"></span>';
      tr.addEventListener("click", () => selectJob(name));
      table.appendChild(tr);
    }
    return tr;
  }

  function setJob(job) {
    jobs[job.name] = Object.assign(jobs[job.name] || {}, job);
    const j = jobs[job.name];
    const tr = row(j.name);
    const cell = tr.querySelector(".state-cell");
    if (cell.textContent !== j.state) cell.replaceChildren(stateSpan(j.state));
    tr.dataset.state = j.state;
    if (j.progress != null) {
      tr.querySelector("progress").value = j.progress;
      tr.querySelector(".pct").textContent = j.progress + "%";
    }
    if (j.host !== undefined) tr.querySelector(".host").textContent = j.host || "localhost";
    if (j.started !== undefined) tr.querySelector(".start").textContent = clock(j.started);
    if (j.ended !== undefined) tr.querySelector(".end").textContent = clock(j.ended);
    tickElapsed(tr, j);
  }

  function tickElapsed(tr, j) {
    if (j.started == null) { tr.querySelector(".elapsed").textContent = ""; return; }
    const end = j.ended != null ? j.ended : (FINAL.includes(j.state) || j.state === "ready" ? null : Date.now() / 1000);
    if (end != null) tr.querySelector(".elapsed").textContent = (end - j.started).toFixed(1) + " s";
  }

  function setRun(detail) {
    const state = document.getElementById("run-state");
    state.replaceWith(stateSpan(detail.state));
    document.querySelector(".run-head .state").id = "run-state";
    document.getElementById("run-progress").value = detail.progress;
    document.getElementById("run-percent").textContent = detail.progress + "%";
    const counts = document.getElementById("counts");
    counts.replaceChildren();
    for (const name of Object.keys(detail.counts).sort()) {
      const span = document.createElement("span");
      span.className = "count state-" + name;
      span.dataset.state = name;
      span.textContent = name + " " + detail.counts[name];
      counts.append(span, " ");
    }
    document.getElementById("cancel").disabled = FINAL.includes(detail.state);
    document.getElementById("resume").disabled = detail.active || detail.state === "done";
    if (detail.jobs) for (const job of detail.jobs) setJob(job);
  }

  async function refresh() {
    refreshTimer = null;
    try {
      setRun(await (await api(base)).json());
    } catch (error) {
      showError("action-error", error);
    }
    drawGraph();
    if (selected && jobs[selected] && jobs[selected].state === "running") loadLog();
  }

  function soon(delay = 300) {
    if (refreshTimer === null) refreshTimer = setTimeout(refresh, delay);
  }

  function cleanSvg(svg) {
    for (const bad of svg.querySelectorAll("script, foreignObject")) bad.remove();
    for (const element of svg.querySelectorAll("*")) {
      for (const attribute of [...element.attributes]) {
        if (/^on/i.test(attribute.name) || /javascript:/i.test(attribute.value)) element.removeAttribute(attribute.name);
      }
    }
    return svg;
  }

  async function drawGraph() {
    if (graphBusy) { graphAgain = true; return; }
    graphBusy = true;
    try {
      const text = await (await api(base + "/graph.svg")).text();
      const svg = new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
      if (svg.nodeName === "svg") document.getElementById("graph").replaceChildren(document.importNode(cleanSvg(svg), true));
    } catch (error) {
      showError("action-error", error);
    } finally {
      graphBusy = false;
      if (graphAgain) { graphAgain = false; setTimeout(drawGraph, 1000); }
    }
  }

  function connect() {
    if (source) source.close();
    const live = document.getElementById("live");
    source = new EventSource(root + "api/" + base + "/events");
    source.addEventListener("open", () => { live.textContent = "live"; live.className = "live on"; });
    source.addEventListener("error", () => { live.textContent = "reconnecting…"; live.className = "live"; });
    source.addEventListener("snapshot", (event) => { setRun(JSON.parse(event.data)); drawGraph(); });
    source.addEventListener("update", (event) => {
      for (const change of JSON.parse(event.data)) {
        if (change.job) setJob({ name: change.job, state: change.state, progress: change.progress });
      }
      soon();
    });
    source.addEventListener("end", () => {
      source.close();
      live.textContent = "finished";
      live.className = "live";
      soon(0);
      setTimeout(refresh, 1500); // once more when the engine process has exited (resume allowed)
    });
  }

  async function loadLog() {
    if (!selected) return;
    const stream = document.getElementById("log-stream").value;
    const pre = document.getElementById("log");
    try {
      const chunk = await (await api(base + "/jobs/" + encodeURIComponent(selected) + "/log?tail=500&stream=" + stream)).json();
      const follow = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
      pre.textContent = chunk.text;
      if (follow) pre.scrollTop = pre.scrollHeight;
    } catch (error) {
      pre.textContent = String(error.message || error);
    }
  }

  function selectJob(name) {
    selected = name;
    document.getElementById("log-job").textContent = name;
    for (const tr of table.querySelectorAll("tr.selected")) tr.classList.remove("selected");
    row(name).classList.add("selected");
    loadLog();
  }

  for (const tr of table.querySelectorAll("tr[data-job]")) {
    tr.addEventListener("click", () => selectJob(tr.dataset.job));
    tr.addEventListener("keydown", (event) => { if (event.key === "Enter") selectJob(tr.dataset.job); });
  }
  document.getElementById("log-refresh").addEventListener("click", loadLog);
  document.getElementById("log-stream").addEventListener("change", loadLog);
  document.getElementById("cancel").addEventListener("click", async () => {
    try { await api(base + "/cancel", { method: "POST" }); showError("action-error", ""); soon(0); }
    catch (error) { showError("action-error", error); }
  });
  document.getElementById("resume").addEventListener("click", async () => {
    try {
      await api(base + "/resume", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
      showError("action-error", "");
      connect();
    } catch (error) { showError("action-error", error); }
  });
  setInterval(() => {
    for (const j of Object.values(jobs)) if (j.state === "running") tickElapsed(row(j.name), j);
  }, 1000);
  connect();
}

if (document.body.dataset.page === "index") initIndex();
if (document.body.dataset.page === "run") initRun();
