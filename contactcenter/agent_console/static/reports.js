// Interval reports (queues or agents) drawn as inline SVG line charts, one point per
// interval (no library, nothing fetched from outside), the table, the CSV download, the
// staffing table and the Erlang C what-if.
const byId = id => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const COLOURS = ["#1d3557", "#e07a1f", "#2a9d8f", "#b00020", "#6a4c93", "#8d99ae"];
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const show = v => v == null ? "–" : v;
function svg(tag, attributes, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
// one line per series {name: [value per interval]}; a missing value breaks the line
function lineChart(box, labels, series) {
  const names = Object.keys(series);
  const values = names.flatMap(n => series[n]).filter(v => v != null);
  const max = Math.max(1, ...values);
  const width = 560, height = 200, left = 36, bottom = 40, top = 12;
  const step = (width - left - 10) / Math.max(1, labels.length - 1);
  const x = i => left + (labels.length === 1 ? (width - left) / 2 : i * step);
  const y = v => height - bottom - (height - bottom - top) * v / max;
  const chart = svg("svg", {viewBox: `0 0 ${width} ${height + 20}`, role: "img", width: "100%"});
  chart.append(svg("line", {x1: left, y1: height - bottom, x2: width, y2: height - bottom, stroke: "#999"}));
  chart.append(svg("text", {x: 0, y: top + 4, "font-size": 11}, String(Math.round(max * 10) / 10)));
  chart.append(svg("text", {x: 0, y: height - bottom, "font-size": 11}, "0"));
  names.forEach((name, j) => {
    let d = "", pen = "M";
    series[name].forEach((v, i) => {
      if (v == null) { pen = "M"; return; }
      d += `${pen}${x(i).toFixed(1)} ${y(v).toFixed(1)} `; pen = "L";
      const dot = svg("circle", {cx: x(i), cy: y(v), r: 2.5, fill: COLOURS[j % COLOURS.length],
        "data-series": name, "data-label": labels[i], "data-value": v});
      dot.append(svg("title", {}, `${name} ${labels[i]}: ${v}`));
      chart.append(dot);
    });
    if (d) chart.append(svg("path", {d, fill: "none", stroke: COLOURS[j % COLOURS.length], "stroke-width": 2, "data-series": name}));
    chart.append(svg("rect", {x: left + j * 110, y: height + 6, width: 10, height: 10, fill: COLOURS[j % COLOURS.length]}));
    chart.append(svg("text", {x: left + j * 110 + 14, y: height + 15, "font-size": 11}, name));
  });
  const every = Math.ceil(labels.length / 12);
  labels.forEach((label, i) => {
    if (i % every) return;
    chart.append(svg("text", {x: x(i), y: height - bottom + 14, "font-size": 10,
      transform: `rotate(30 ${x(i)} ${height - bottom + 14})`}, label));
  });
  box.replaceChildren(chart);
}
function label(iso, interval) {
  const when = new Date(iso);
  return interval === "1d" ? when.toLocaleDateString() :
    when.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
}
function query() {
  const q = new URLSearchParams({interval: byId("interval").value, tz: zone});
  for (const key of ["from", "to"]) if (byId(key).value) q.set(key, byId(key).value);
  if (byId("kind").value === "queues") {
    if (byId("queue").value) q.set("queue", byId("queue").value); else q.set("all", "1");
  } else if (byId("agent").value) q.set("agent", byId("agent").value);
  return q;
}
const QUEUE_COLUMNS = [["queue", "Queue"], ["offered", "Offered"], ["answered", "Answered"],
  ["abandoned", "Abandoned"], ["short_abandoned", "Short abandons"], ["overflowed", "Overflowed"],
  ["callbacks", "Callbacks"], ["transfers", "Transfers"], ["service_level_pct", "SL %"],
  ["abandon_rate_pct", "Abandon %"], ["asa_s", "ASA s"], ["aht_s", "AHT s"],
  ["longest_wait_s", "Longest wait s"], ["occupancy_pct", "Occupancy %"], ["staffed_agents", "Staffed"]];
const AGENT_COLUMNS = [["agent_id", "Agent"], ["offered", "Offered"], ["answered", "Answered"],
  ["transfers", "Transfers"], ["aht_s", "AHT s"], ["occupancy_pct", "Occupancy %"]];
function table(rows, columns, interval, extra) {
  const head = document.createElement("tr");
  head.append(cc.el("th", "Interval"), ...columns.map(([, title]) => cc.el("th", title)),
    ...(extra ? [cc.el("th", "Time by state"), cc.el("th", "Paused by reason")] : []));
  byId("head").replaceChildren(head);
  byId("rows").replaceChildren(...rows.map(r => {
    const tr = document.createElement("tr");
    tr.append(cc.el("td", label(r.start, interval)), ...columns.map(([key]) => cc.el("td", show(r[key]))));
    if (extra) {
      const time = Object.entries(r.seconds).filter(([, s]) => s).map(([s, n]) => `${s} ${Math.round(n)} s`);
      const paused = Object.entries(r.paused).map(([s, n]) => `${s} ${Math.round(n)} s`);
      tr.append(cc.el("td", time.join(", ")), cc.el("td", paused.join(", ")));
    }
    return tr;
  }));
}
function byInterval(report, pick) {  // the intervals' labels and one value per interval
  return report.intervals.map(span => {
    const row = report.rows.find(r => r.start === span.start);
    return row ? pick(row) : null;
  });
}
async function refresh() {
  const kind = byId("kind").value, interval = byId("interval").value, q = query();
  byId("export").href = `/api/reports/${kind}.csv?${q}`;
  const r = await fetch(`/api/reports/${kind}?${q}`);
  if (r.status === 401) { location.href = "/login"; return; }
  if (!r.ok) { byId("error").textContent = (await r.json()).error; return; }
  byId("error").textContent = "";
  const report = await r.json();
  const labels = report.intervals.map(span => label(span.start, interval));
  if (kind === "queues") {
    const series = keys => Object.fromEntries(keys.map(([key, name]) => [name, byInterval(report, row => row[key])]));
    byId("title-calls").textContent = "Calls per interval";
    lineChart(byId("chart-calls"), labels, series([["offered", "offered"], ["answered", "answered"], ["abandoned", "abandoned"]]));
    lineChart(byId("chart-rates"), labels, series([["service_level_pct", "service level"], ["abandon_rate_pct", "abandon rate"], ["occupancy_pct", "occupancy"]]));
    lineChart(byId("chart-times"), labels, series([["asa_s", "ASA"], ["aht_s", "AHT"]]));
    table(report.rows, QUEUE_COLUMNS, interval, false);
  } else {  // a line per agent
    const agents = [...new Set(report.rows.map(r => r.agent_id))];
    options(byId("agent"), agents);
    const per = key => Object.fromEntries(agents.map(a => [a, report.intervals.map(span =>
      (report.rows.find(r => r.start === span.start && r.agent_id === a) || {})[key] ?? null)]));
    byId("title-calls").textContent = "Calls answered per interval";
    lineChart(byId("chart-calls"), labels, per("answered"));
    lineChart(byId("chart-rates"), labels, per("occupancy_pct"));
    lineChart(byId("chart-times"), labels, per("aht_s"));
    table(report.rows, AGENT_COLUMNS, interval, true);
  }
}
async function staffing() {
  const r = await fetch(`/api/staffing?${new URLSearchParams({interval: byId("interval").value, tz: zone})}`);
  if (!r.ok) return [];
  const s = await r.json();
  byId("staffing-interval").textContent = `From the last complete interval, ${label(s.interval.start, "30m")}–${label(s.interval.end, "30m")}.`;
  byId("staffing").replaceChildren(...s.queues.map(p => {
    const tr = document.createElement("tr");
    tr.dataset.queue = p.queue;
    const n = p.needed;
    tr.append(cc.el("td", p.queue), cc.el("td", p.calls_per_hour), cc.el("td", show(p.aht_s)),
      cc.el("td", `${p.target_pct} % in ${p.target_s} s`), cc.el("td", n ? n.agents : "–"),
      cc.el("td", n ? `${n.service_level_pct} %` : "–"), cc.el("td", n ? `${n.asa_s} s` : "–"),
      cc.el("td", p.staffed_agents), cc.el("td", show(p.staffed_now)));
    return tr;
  }));
  return s.queues.map(p => p.queue);
}
function options(select, values) {  // once: the queues or agents to pick from
  if (select.options.length > 1) return;
  for (const v of values) { const o = cc.el("option", v); o.value = v; select.append(o); }
}
async function whatIf(event) {
  event.preventDefault();
  const q = new URLSearchParams({calls_per_hour: byId("calls").value, aht_s: byId("aht").value,
    target_pct: byId("target-pct").value, target_s: byId("target-s").value});
  const r = await fetch(`/api/staffing/what-if?${q}`);
  const found = await r.json();
  byId("what-if-result").textContent = r.ok
    ? `${found.agents} agents: ${found.service_level_pct} % answered in time, ASA ${found.asa_s} s, occupancy ${found.occupancy_pct} %`
    : found.error;
}
async function start() {
  await cc.load();
  const today = new Date().toLocaleDateString("en-CA");  // YYYY-MM-DD, local
  byId("from").value = byId("to").value = today;
  byId("zone").textContent = `Times in ${zone}.`;
  byId("kind").onchange = () => {
    byId("queue").hidden = byId("kind").value !== "queues";
    byId("agent").hidden = byId("kind").value === "queues";
    refresh();
  };
  byId("apply").onclick = () => { refresh(); staffing(); };
  byId("what-if").onsubmit = whatIf;
  const [, queues] = await Promise.all([refresh(), staffing()]);
  options(byId("queue"), queues);
}
start();
