// The supervisor page: the wallboard, pushed over the websocket (no polling), and forced
// agent actions. The socket re-subscribes after any drop and gets the whole board again;
// between boards, waiting times tick on here.
const byId = id => document.getElementById(id);
const pct = v => v == null ? "–" : `${Math.round(v)} %`;
const secs = v => v == null ? "–" : `${v < 10 ? v.toFixed(1) : Math.round(v)} s`;
const rating = q => q.surveys ? `${q.survey_avg.toFixed(1)} (${q.surveys})` : "–";
let board = null, boardAt = 0, retry = 0;
const ticked = v => v == null ? v : v + (performance.now() - boardAt) / 1000;
function row(name, q) {
  const tr = document.createElement("tr");
  const states = Object.entries(q.agents || {}).filter(([, n]) => n).map(([s, n]) => `${s} ${n}`).join(", ");
  const level = cc.el("td", pct(q.service_level_pct));
  if (q.service_level_s) level.title = `answered within ${q.service_level_s} s`;
  tr.append(cc.el("td", name), cc.el("td", q.waiting), cc.el("td", secs(q.waiting ? ticked(q.longest_wait_s) : 0)),
    level, cc.el("td", pct(q.abandon_rate_pct)),
    cc.el("td", secs(q.asa_s)), cc.el("td", secs(q.aht_s)), cc.el("td", q.answered),
    cc.el("td", q.abandoned), cc.el("td", q.short_abandoned), cc.el("td", rating(q)),
    cc.el("td", pct(q.occupancy_pct)), cc.el("td", states || "none"));
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
    cc.el("td", secs(ticked(a.for_s))), cc.el("td", a.caller),
    cc.el("td", pct((board.agent_occupancy || {})[a.agent_id])), actions);
  return tr;
}
function callRow(c) {
  const tr = document.createElement("tr");
  const status = c.agent_id ? `ringing ${c.agent_id}` : c.callback ? "callback" : "waiting";
  tr.append(cc.el("td", c.queue), cc.el("td", c.position), cc.el("td", c.caller),
    cc.el("td", secs(ticked(c.waited_s))), cc.el("td", status));
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
function render() {
  if (!board) return;
  showDown(board.down);
  byId("queues").replaceChildren(...Object.entries(board.queues).map(([name, q]) => row(name, q)));
  byId("total").replaceChildren(row("All queues", board.total));
  byId("agents").replaceChildren(...board.agents.map(agentRow));
  byId("calls").replaceChildren(...board.calls.map(callRow));
  const since = new Date(board.window_start * 1000).toLocaleTimeString();
  byId("totals").textContent = `Figures since ${since}. Since start: answered ${board.answered}, abandoned ${board.abandoned}, overflowed ${board.overflowed}`;
}
function connect() {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
  ws.onopen = () => ws.send(JSON.stringify({type: "subscribe", topic: "wallboard"}));
  ws.onmessage = e => {
    const message = JSON.parse(e.data);
    if (message.type !== "wallboard") return;
    board = message.board; boardAt = performance.now(); retry = 0;
    byId("live").textContent = "live";
    render();
  };
  ws.onclose = () => {  // dropped: say so, come back (a little later each time, up to 8 s)
    byId("live").textContent = "reconnecting…";
    retry = Math.min(retry + 1, 5);
    if (retry > 2) cc.load();  // signed out meanwhile? then to the login page
    setTimeout(connect, 250 * 2 ** retry);
  };
}
async function force(agent, action) {
  const view = await cc.post(`/api/agents/${encodeURIComponent(agent)}/${action}`);
  byId("result").textContent = `${view.agent_id}: ${view.state}`;  // the board follows by push
}
for (const action of ["pause", "logout"]) {
  byId(`force-${action}`).onclick = () => force(byId("agent").value.trim(), action);
}
cc.load().then(() => { connect(); setInterval(render, 1000); });
