// The MIS page: figures of the complaints received in a period, with filters, drawn as
// inline SVG bar charts (no library, nothing fetched from outside), and the CSV export.
const byId = id => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const COLOURS = ["#1d3557", "#e07a1f"];
function svg(tag, attributes, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
// grouped vertical bars: one group per label, one bar per series {name: {label: value}}
function barChart(box, series) {
  const names = Object.keys(series), labels = Object.keys(series[names[0]] || {});
  const max = Math.max(1, ...names.flatMap(n => Object.values(series[n])));
  const width = 560, height = 200, left = 30, bottom = 40, group = (width - left) / Math.max(1, labels.length);
  const bar = Math.max(2, group / (names.length + 1));
  const chart = svg("svg", {viewBox: `0 0 ${width} ${height + 20}`, role: "img", width: "100%"});
  chart.append(svg("line", {x1: left, y1: height - bottom, x2: width, y2: height - bottom, stroke: "#999"}));
  chart.append(svg("text", {x: 0, y: 12, "font-size": 11}, String(max)));
  labels.forEach((label, i) => {
    names.forEach((name, j) => {
      const value = series[name][label], h = (height - bottom - 20) * value / max;
      const rect = svg("rect", {x: left + i * group + j * bar, y: height - bottom - h, width: bar - 1, height: h,
        fill: COLOURS[j % COLOURS.length], "data-label": label, "data-series": name, "data-value": value});
      rect.append(svg("title", {}, `${name} ${label}: ${value}`));
      chart.append(rect);
    });
    if (labels.length <= 16 || i % Math.ceil(labels.length / 16) === 0)
      chart.append(svg("text", {x: left + i * group, y: height - bottom + 14, "font-size": 10,
        transform: `rotate(30 ${left + i * group} ${height - bottom + 14})`}, label));
  });
  names.forEach((name, j) => {
    chart.append(svg("rect", {x: left + j * 120, y: height + 6, width: 10, height: 10, fill: COLOURS[j % COLOURS.length]}));
    chart.append(svg("text", {x: left + j * 120 + 14, y: height + 15, "font-size": 11}, name));
  });
  box.replaceChildren(chart);
}
const hours = d => d.count ? `${d.mean_h} h / ${d.p90_h} h` : "–";
function tiles(f) {
  byId("tiles").replaceChildren(...[
    ["received", "Received", f.received], ["open", "Open", f.open], ["overdue", "Overdue", f.overdue],
    ["escalated", "Escalated", f.escalated],
    ["reopen-rate", "Reopen rate", f.reopen_rate_pct === null ? "–" : `${f.reopen_rate_pct} %`],
    ["first-response", "First response (mean / p90)", hours(f.first_response)],
    ["resolution", "Resolution (mean / p90)", hours(f.resolution)],
  ].map(([id, label, value]) => {
    const tile = document.createElement("div");
    tile.className = "tile";
    const figure = cc.el("strong", value);
    figure.id = id;
    tile.append(figure, cc.el("span", label));
    return tile;
  }));
}
function query() {
  const q = new URLSearchParams();
  for (const key of ["from", "to", "category", "severity", "team", "channel"]) if (byId(key).value) q.set(key, byId(key).value);
  return q;
}
async function refresh() {
  const q = query();
  byId("export").href = `/api/complaints/export.csv?${q}`;
  const r = await fetch(`/api/complaints/mis?${q}`);
  if (r.status === 401) { location.href = "/login"; return; }
  if (!r.ok) { byId("escalation").textContent = await r.text(); return; }
  const f = await r.json();
  complaints.escalation(byId("escalation"), f.escalation);
  tiles(f);
  barChart(byId("chart-day"), {received: f.received_per_day, resolved: f.resolved_per_day});
  barChart(byId("chart-week"), {received: f.received_per_week, resolved: f.resolved_per_week});
  barChart(byId("chart-age"), {open: f.open_by_age});
  barChart(byId("chart-category"), {open: f.open_by_category});
  barChart(byId("chart-severity"), {open: f.open_by_severity});
  barChart(byId("chart-team"), {open: f.open_by_team});
  const rows = (id, items) => byId(id).replaceChildren(...items.map(cells => {
    const tr = document.createElement("tr");
    tr.append(...cells.map(c => cc.el("td", c)));
    return tr;
  }));
  rows("top-categories", f.top_categories);
  rows("repeat-customers", f.repeat_customers.map(r => [r.name, r.complaints]));
}
async function start() {
  await cc.load();
  const s = await complaints.loadSettings();
  for (const [id, values] of [["category", Object.keys(s.categories)], ["severity", s.severities],
    ["team", Object.keys(s.teams)], ["channel", s.channels]])
    for (const v of values) { const o = cc.el("option", v); o.value = v; byId(id).append(o); }
  byId("apply").onclick = refresh;
  await refresh();
}
start();
