// Kuaidi service-quality dashboard: no build step, no CDN. Signs in with the gateway's login
// (same origin) or takes `#access_token=…` from a link (then removes it from the address bar),
// then draws the KPI trends, hotspots and open alerts from the analytics API.
"use strict";

(function () {
  const API = "/api/v1";
  const TOKEN_KEY = "kuaidi.dashboard.token";
  const $ = (sel) => document.querySelector(sel);
  const charts = {};
  const chartWidth = (width) => Math.max(Math.floor(width), 240);
  // Charts follow their container's width (phones, rotation, a window resized).
  const resized = new ResizeObserver((entries) => {
    for (const entry of entries) {
      const chart = charts[entry.target.id];
      const width = chartWidth(entry.contentRect.width);
      // Resized on the next frame, not inside the observer's own notification.
      if (chart && chart.width !== width) requestAnimationFrame(() => chart.setSize({ width, height: 200 }));
    }
  });

  function takeTokenFromFragment() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    const token = params.get("access_token");
    if (token) {
      sessionStorage.setItem(TOKEN_KEY, token);
      // The token must not stay in the address bar, the history or a shared link.
      history.replaceState(null, "", location.pathname + location.search);
    }
  }

  function token() { return sessionStorage.getItem(TOKEN_KEY); }

  function signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    show(false);
  }

  function show(signedIn) {
    $("#sign-in").hidden = signedIn;
    $("#board").hidden = !signedIn;
    $("#sign-out").hidden = !signedIn;
    document.body.dataset.state = signedIn ? "loading" : "signed-out";
  }

  async function api(path) {
    const res = await fetch(API + path, { headers: { Authorization: "Bearer " + token() } });
    if (res.status === 401) { signOut(); throw new Error("signed out"); }
    if (!res.ok) {
      const problem = await res.json().catch(() => ({}));
      const err = new Error(problem.detail || res.statusText);
      err.status = res.status;
      throw err;
    }
    return res.json();
  }

  // The browser's calendar day (YYYY-MM-DD), in the zone sent as `tz`: not the UTC day, which
  // east of UTC early in the morning is still yesterday.
  function localDay(d) {
    const two = (n) => String(n).padStart(2, "0");
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate());
  }

  function query() {
    const form = new FormData($("#filters"));
    const days = Number(form.get("period"));
    const to = new Date();
    const from = new Date(to.getFullYear(), to.getMonth(), to.getDate() - (days - 1));
    const q = new URLSearchParams({
      from: localDay(from), to: localDay(to),
      granularity: days > 180 ? "month" : days > 60 ? "week" : "day",
      tz: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
    });
    for (const key of ["city", "service_level"]) {
      const v = String(form.get(key) || "").trim();
      if (v) q.set(key, v);
    }
    return q;
  }

  function draw(id, rows, series) {
    const el = document.getElementById(id);
    // Measure the container without the previous chart in it.
    if (charts[id]) charts[id].destroy();
    el.textContent = "";
    const xs = rows.map((r) => Date.parse(r.period_start + "T00:00:00Z") / 1000);
    const data = [xs].concat(series.map((s) => rows.map((r) => r[s.field])));
    const points = data.slice(1).reduce((n, ys) => n + ys.filter((y) => y !== null).length, 0);
    const opts = {
      width: chartWidth(el.getBoundingClientRect().width),
      height: 200,
      // Half a period of margin, so a lone point at either end is not cut in half.
      scales: {
        x: { time: true, range: (u, min, max) => [min - 43200, max + 43200] },
        // Rates run from 0 to 100 %, scores from 1 to 5; other figures scale to their data.
        y: series[0].format === pct ? { range: [0, 1] } : series[0].label === "CSAT" ? { range: [1, 5] } : {},
      },
      series: [{}].concat(series.map((s) => ({
        label: s.label, stroke: s.color, width: 2, spanGaps: true,
        points: { show: true, size: 7, fill: s.color },
        value: (u, v) => (v === null || v === undefined ? "–" : s.format(v)),
      }))),
      axes: [{}, { size: 64, values: (u, vals) => vals.map((v) => series[0].format(v)) }],
    };
    charts[id] = new uPlot(opts, data, el);
    resized.observe(el);
    el.dataset.points = String(points);
  }

  const pct = (v) => (v * 100).toFixed(1) + "%";
  const num = (v) => Number(v).toFixed(2);

  function drawKpis(rows) {
    draw("chart-on-time", rows, [{ field: "on_time_rate", label: "On time", color: "#1d3557", format: pct }]);
    draw("chart-complaints", rows, [{ field: "complaint_rate_per_10k", label: "Per 10k", color: "#e63946", format: num }]);
    draw("chart-sla", rows, [
      { field: "first_response_sla_rate", label: "First response in SLA", color: "#2a9d8f", format: pct },
      { field: "resolved_within_48h_rate", label: "Resolved in 48 h", color: "#e9c46a", format: pct },
    ]);
    draw("chart-csat", rows, [{ field: "csat_avg", label: "CSAT", color: "#6a4c93", format: num }]);
  }

  function cell(row, text, cls) {
    const td = row.insertCell();
    td.textContent = text;
    if (cls) td.className = cls;
  }

  function drawHotspots(h) {
    const body = $("#hotspots tbody");
    body.textContent = "";
    for (const s of h.by_city.slice(0, 20)) {
      const row = body.insertRow();
      cell(row, s.category || "–");
      cell(row, s.city || "–");
      cell(row, String(s.complaints), "num");
      cell(row, String(s.previous), "num");
      cell(row, (s.change > 0 ? "+" : "") + s.change, "num " + (s.change > 0 ? "up" : s.change < 0 ? "down" : ""));
    }
    if (!h.by_city.length) cell(body.insertRow(), "No complaints in this period.");
    $("#hotspots").dataset.rows = String(h.by_city.length);
  }

  function drawAlerts(page) {
    const list = $("#alerts");
    list.textContent = "";
    for (const a of page.data) {
      const li = document.createElement("li");
      const where = a.kind === "on_time_drop" ? "hub " + a.hub_code : a.city + " · " + a.category;
      const what = a.kind === "on_time_drop"
        ? "on-time " + pct(a.observed) + " (threshold " + pct(a.threshold) + ")"
        : a.observed + " complaints (threshold " + num(a.threshold) + ")";
      li.textContent = a.day + " — " + where + ": " + what;
      list.appendChild(li);
    }
    if (!page.data.length) list.textContent = "No open alerts.";
    list.dataset.count = String(page.data.length);
  }

  async function load() {
    document.body.dataset.state = "loading";
    $("#status").textContent = "Loading…";
    const q = query();
    const span = new URLSearchParams({ from: q.get("from"), to: q.get("to"), tz: q.get("tz") });
    for (const key of ["city", "service_level"]) if (q.has(key)) span.set(key, q.get(key));
    try {
      const report = await api("/analytics/kpis?" + q);
      drawKpis(report.data);
      const [hot, alerts] = await Promise.all([
        api("/analytics/complaint-hotspots?" + span).catch((e) => ({ by_city: [], unavailable: e })),
        api("/analytics/alerts?status=open&limit=20").catch((e) => ({ data: [], unavailable: e })),
      ]);
      drawHotspots(hot);
      drawAlerts(alerts);
      $("#status").textContent = "Figures per definitions " + report.definitions_version + ".";
      document.body.dataset.state = "ready";
    } catch (e) {
      if (e.message === "signed out") return;
      $("#status").textContent = "Could not load the figures: " + e.message;
      document.body.dataset.state = "failed";
    }
  }

  async function signIn(event) {
    event.preventDefault();
    const form = new FormData(event.target);
    $("#sign-in-error").textContent = "";
    const res = await fetch(API + "/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: form.get("username"), password: form.get("password") }),
    });
    if (!res.ok) {
      $("#sign-in-error").textContent = res.status === 429 ? "Too many attempts; try again later." : "Wrong username or password.";
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, (await res.json()).access_token);
    show(true);
    load();
  }

  takeTokenFromFragment();
  $("#sign-in").addEventListener("submit", signIn);
  $("#sign-out").addEventListener("click", signOut);
  $("#filters").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  if (token()) { show(true); load(); } else { show(false); }
})();
