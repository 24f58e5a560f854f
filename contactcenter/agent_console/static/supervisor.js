// The supervisor page: the wallboard, refreshed every two seconds, and forced agent actions.
const byId = id => document.getElementById(id);
const pct = v => v == null ? "–" : `${Math.round(v)} %`;
const secs = v => v == null ? "–" : `${v < 10 ? v.toFixed(1) : Math.round(v)} s`;
const rating = q => q.surveys ? `${q.survey_avg.toFixed(1)} (${q.surveys})` : "–";
function row(name, q) {
  const tr = document.createElement("tr");
  const states = Object.entries(q.agents || {}).filter(([, n]) => n).map(([s, n]) => `${s} ${n}`).join(", ");
  const level = cc.el("td", pct(q.service_level_pct));
  if (q.service_level_s) level.title = `answered within ${q.service_level_s} s`;
  tr.append(cc.el("td", name), cc.el("td", q.waiting), cc.el("td", secs(q.longest_wait_s)),
    level, cc.el("td", pct(q.abandon_rate_pct)),
    cc.el("td", secs(q.asa_s)), cc.el("td", secs(q.aht_s)), cc.el("td", q.answered),
    cc.el("td", q.abandoned), cc.el("td", rating(q)), cc.el("td", states || "none"));
  return tr;
}
function agentRow(a) {
  const tr = document.createElement("tr");
  tr.dataset.agent = a.agent_id;
  const actions = cc.el("td");
  for (const [action, label] of [["pause", "Pause"], ["logout", "Log out"]]) {
    const button = cc.el("button", label);
    button.className = "dial";
    button.disabled = a.state === "logged_out" || (action === "pause" && a.state === "paused");
    button.onclick = () => force(a.agent_id, action);
    actions.append(button);
  }
  tr.append(cc.el("td", a.agent_id), cc.el("td", a.reason ? `${a.state} (${a.reason})` : a.state),
    cc.el("td", secs(a.for_s)), cc.el("td", a.caller), actions);
  return tr;
}
function callRow(c) {
  const tr = document.createElement("tr");
  const status = c.agent_id ? `ringing ${c.agent_id}` : c.callback ? "callback" : "waiting";
  tr.append(cc.el("td", c.queue), cc.el("td", c.position), cc.el("td", c.caller),
    cc.el("td", secs(c.waited_s)), cc.el("td", status));
  return tr;
}
const PARTS = {ami: "Link to Asterisk", store: "Queue store", database: "Database"};
function showDown(down) {
  const parts = Object.entries(down || {});
  const banner = byId("down");
  banner.hidden = parts.length === 0;
  banner.textContent = parts.map(([part, d]) =>
    `${PARTS[part] || part} down since ${new Date(d.since * 1000).toLocaleTimeString()}: ${d.reason}.`
  ).join(" ") + (parts.length ? " Callers keep waiting in Asterisk; the platform retries." : "");
}
async function refresh() {
  const r = await fetch("/api/wallboard");
  if (r.status === 401) { location.href = "/login"; return; }
  const board = await r.json();
  showDown(board.down);
  byId("queues").replaceChildren(...Object.entries(board.queues).map(([name, q]) => row(name, q)));
  byId("total").replaceChildren(row("All queues", board.total));
  byId("agents").replaceChildren(...board.agents.map(agentRow));
  byId("calls").replaceChildren(...board.calls.map(callRow));
  const since = new Date(board.window_start * 1000).toLocaleTimeString();
  byId("totals").textContent = `Figures since ${since}. Since start: answered ${board.answered}, abandoned ${board.abandoned}, overflowed ${board.overflowed}`;
}
async function force(agent, action) {
  const view = await cc.post(`/api/agents/${encodeURIComponent(agent)}/${action}`);
  byId("result").textContent = `${view.agent_id}: ${view.state}`;
  refresh();
}
for (const action of ["pause", "logout"]) {
  byId(`force-${action}`).onclick = () => force(byId("agent").value.trim(), action);
}
cc.load().then(() => { refresh(); setInterval(refresh, 2000); });
