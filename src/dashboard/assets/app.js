// The asyncmq dashboard's page script (an ES module, served as is: no build step).
// - live counts over server-sent events (body[data-live] is the stream URL), with
//   body[data-live-state] = "open" once connected, for people and tests alike;
// - the history charts with uPlot, from the JSON endpoint in each chart's data-src;
// - confirmations (data-confirm on a form or its submit button), select-all boxes, relative times.
// Every page works without it, except the live counts and the charts.
import uPlot from "./uplot.js";

const body = document.body;

// -- confirmations and selections --------------------------------------------------------------
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = event.submitter?.dataset.confirm ?? form.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

for (const box of document.querySelectorAll("[data-select-all]")) {
  box.addEventListener("change", () => {
    for (const other of document.querySelectorAll("input[type=checkbox]")) {
      if (other.name === box.dataset.selectAll) other.checked = box.checked;
    }
  });
}

// -- relative times ------------------------------------------------------------------------------
const UNITS = [
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
  ["second", 1000],
];
const format = new Intl.RelativeTimeFormat("en", { style: "narrow", numeric: "auto" });

// "3s ago", "in 5m": the largest whole unit, as the server renders it at first.
function relative(ms) {
  const diff = ms - Date.now();
  if (Math.abs(diff) < 1000) return "now";
  const [unit, size] = UNITS.find(([, size]) => Math.abs(diff) >= size);
  return format.format(Math.trunc(diff / size), unit);
}

setInterval(() => {
  for (const t of document.querySelectorAll("time[data-time]"))
    t.textContent = relative(Number(t.dataset.time));
}, 1000);

// -- live updates ------------------------------------------------------------------------------
function setLive(state, text) {
  body.dataset.liveState = state;
  const badge = document.getElementById("live-status");
  if (badge) {
    badge.textContent = text;
    badge.classList.toggle("on", state === "open");
  }
}

function applyCounts(update) {
  for (const cell of document.querySelectorAll(".count[data-queue]")) {
    if (cell.dataset.queue !== update.queue) continue;
    const text = (update.counts[cell.dataset.state] ?? 0).toLocaleString("en-US");
    if (cell.textContent !== text) {
      cell.textContent = text;
      cell.classList.remove("changed");
      void cell.offsetWidth; // restart the highlight animation
      cell.classList.add("changed");
    }
  }
  for (const badge of document.querySelectorAll("[data-queue-status]")) {
    if (badge.dataset.queueStatus !== update.queue) continue;
    badge.textContent = update.paused ? "paused" : "running";
    badge.classList.toggle("paused", update.paused);
    badge.classList.toggle("running", !update.paused);
  }
}

let reloadTimer = null;
let lastReload = 0;
// A watched job changed: show it fresh (at most once a second, so progress updates do not thrash).
function reloadSoon() {
  if (reloadTimer !== null) return;
  const wait = Math.max(250, 1000 - (Date.now() - lastReload));
  reloadTimer = setTimeout(() => {
    lastReload = Date.now();
    window.location.reload();
  }, wait);
}

if (body.dataset.live) {
  setLive("connecting", "connecting…");
  const source = new EventSource(body.dataset.live);
  source.addEventListener("open", () => setLive("open", "live"));
  source.addEventListener("error", () => setLive("reconnecting", "reconnecting…"));
  source.addEventListener("counts", (e) => applyCounts(JSON.parse(e.data)));
  source.addEventListener("queues", () => {
    const notice = document.getElementById("new-queues");
    if (notice) notice.hidden = false;
  });
  source.addEventListener("job", (e) => {
    const update = JSON.parse(e.data);
    if (update.event === "snapshot") {
      // Where the job is now, sent on (re)connect: reload only if it moved since this page was rendered.
      const shown = document.querySelector("[data-testid=job-state]")?.textContent;
      if (update.state !== shown) reloadSoon();
    } else if (update.event !== "job:progress") reloadSoon();
  });
  window.addEventListener("pagehide", () => source.close());
}

// -- refreshed parts -----------------------------------------------------------------------------
// Rates, mean wait and workers come from metrics and heartbeats, not events: every 15 s the page is
// read again and its [data-refresh] parts replaced by the fresh ones (the server formats them).
if (document.querySelector("[data-refresh]")) {
  setInterval(async () => {
    try {
      const res = await fetch(window.location.href, {
        headers: { accept: "text/html" },
        credentials: "same-origin",
      });
      if (!res.ok) return;
      const fresh = new DOMParser().parseFromString(await res.text(), "text/html");
      const parts = new Map(
        [...fresh.querySelectorAll("[data-refresh]")].map((el) => [el.dataset.refresh, el]),
      );
      for (const el of document.querySelectorAll("[data-refresh]")) {
        const next = parts.get(el.dataset.refresh);
        if (next) el.replaceWith(document.importNode(next, true));
      }
    } catch {
      // Offline for a moment: the next round tries again.
    }
  }, 15_000);
}

// -- charts ------------------------------------------------------------------------------------
const SERIES = {
  throughput: [
    { label: "completed", key: "completed", stroke: "#2f855a", fill: "rgba(47,133,90,0.12)" },
    { label: "failed", key: "failed", stroke: "#c53030", fill: "rgba(197,48,48,0.12)" },
  ],
  latency: [
    { label: "wait p95 (ms)", key: "waitP95", stroke: "#2b6cb0" },
    { label: "run p95 (ms)", key: "runP95", stroke: "#b7791f" },
  ],
};
const charts = [];
const requests = new Map();

function load(src) {
  if (!requests.has(src)) {
    requests.set(
      src,
      fetch(src, { headers: { accept: "application/json" }, credentials: "same-origin" }).then((r) =>
        r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`)),
      ),
    );
  }
  return requests.get(src);
}

function columns(kind, data) {
  return [data.time, ...SERIES[kind].map((s) => data[s.key])];
}

async function drawChart(el) {
  const kind = el.dataset.chart;
  let data;
  try {
    data = await load(el.dataset.src);
  } catch (err) {
    el.textContent = `no chart: ${err.message}`;
    return;
  }
  const plot = new uPlot(
    {
      width: Math.max(280, el.clientWidth),
      height: 220,
      series: [
        {},
        // Minutes without finished jobs have no p95 (null): points show the isolated ones.
        ...SERIES[kind].map((s) => ({
          label: s.label,
          stroke: s.stroke,
          fill: s.fill,
          width: 2,
          points: { show: kind === "latency", size: 5 },
        })),
      ],
      axes: [{}, { size: 60 }],
      scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    },
    columns(kind, data),
    el,
  );
  el.dataset.ready = "true";
  charts.push({ el, kind, plot });
}

const chartEls = document.querySelectorAll("[data-chart]");
for (const el of chartEls) void drawChart(el);

if (chartEls.length > 0) {
  // The metrics are per minute: fetch them again each minute.
  setInterval(async () => {
    requests.clear();
    for (const { el, kind, plot } of charts) {
      try {
        plot.setData(columns(kind, await load(el.dataset.src)));
      } catch {
        // Keep the last chart; the next round tries again.
      }
    }
  }, 60_000);
  window.addEventListener("resize", () => {
    for (const { el, plot } of charts) plot.setSize({ width: Math.max(280, el.clientWidth), height: 220 });
  });
}
