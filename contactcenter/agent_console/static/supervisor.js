// The supervisor page: the wallboard, pushed over the websocket (no polling), forced agent
// actions, live monitoring (listen, whisper, barge through the supervisor's own phone),
// acts on waiting calls, "why this agent?", and for admins the monitoring audit. The
// socket re-subscribes after any drop and gets the whole board again; between boards,
// waiting times tick on here.
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
  for (const mode of MODES) {
    const button = cc.el("button", MODE_LABEL[mode]);
    button.className = "dial";
    button.disabled = a.state !== "on_call" || monitoring !== null;
    button.onclick = () => spy(a.agent_id, mode);
    actions.append(button);
  }
  if (a.call_id) actions.append(whyButton(a.call_id));
  tr.append(cc.el("td", a.agent_id), cc.el("td", a.reason ? `${a.state} (${a.reason})` : a.state),
    cc.el("td", secs(ticked(a.for_s))), cc.el("td", a.caller),
    cc.el("td", pct((board.agent_occupancy || {})[a.agent_id])), actions);
  return tr;
}
function callRow(c) {
  const tr = document.createElement("tr");
  const status = c.agent_id ? `ringing ${c.agent_id}` : c.callback ? "callback" : "waiting";
  tr.dataset.call = c.call_id;
  const actions = cc.el("td");
  if (c.agent_id) actions.append(whyButton(c.call_id));
  else {
    const change = cc.el("button", "Move / priority");
    change.className = "dial";
    change.onclick = () => openChange(c);
    actions.append(change);
  }
  tr.append(cc.el("td", c.queue), cc.el("td", c.position), cc.el("td", c.caller),
    cc.el("td", secs(ticked(c.waited_s))), cc.el("td", c.priority), cc.el("td", status), actions);
  return tr;
}
function whyButton(callId) {
  const button = cc.el("button", "Why?");
  button.className = "dial";
  button.title = "why this agent?";
  button.onclick = () => why(callId);
  return button;
}
// -- live monitoring: my phone rings, then ChanSpy; the mode changes on the same call
const MODES = ["listen", "whisper", "barge"];
const MODE_LABEL = {listen: "Listen", whisper: "Whisper", barge: "Barge"};
let monitoring = null, monitorPoll = null;
function showMonitoring(mine) {
  monitoring = mine;
  byId("monitor").textContent = !mine ? "Not monitoring. Listen, whisper or barge from an agent's row: your phone rings."
    : mine.state === "live" ? `Monitoring ${mine.agent_id}: ${mine.mode}` : `Your phone rings to monitor ${mine.agent_id} (${mine.mode})…`;
  for (const mode of MODES) byId(`spy-${mode}`).disabled = !mine || mine.state !== "live" || mine.mode === mode;
  byId("spy-stop").disabled = !mine;
  render();
}
async function refreshMonitoring() {  // while ringing or stopping, until it settles
  clearTimeout(monitorPoll);
  const r = await fetch("/api/monitoring");
  if (!r.ok) return;
  const {mine} = await r.json();
  const wasOn = monitoring !== null;
  showMonitoring(mine);
  if (mine && (mine.state === "ringing" || mine.stopping)) monitorPoll = setTimeout(refreshMonitoring, 300);
  if (wasOn && !mine) loadAudit();
}
async function spy(agent, mode) {
  showMonitoring(await cc.post("/api/monitoring", {agent_id: agent, mode}));
  refreshMonitoring();
}
for (const mode of MODES) {
  byId(`spy-${mode}`).onclick = async () => showMonitoring(await cc.post("/api/monitoring/mode", {mode}));
}
byId("spy-stop").onclick = async () => {
  await cc.post("/api/monitoring/stop");
  monitoring = {...monitoring, stopping: true};
  refreshMonitoring();
};
// -- acts on a waiting call: another queue, another priority, entry time reset
let changing = null;
function openChange(c) {
  changing = c.call_id;
  byId("change-call").textContent = `${c.caller} (${c.queue}, #${c.position})`;
  byId("change-queue").replaceChildren(...Object.keys(board.queues).map(q => {
    const option = cc.el("option", q); option.value = q; option.selected = q === c.queue; return option;
  }));
  byId("change-priority").value = c.priority;
  byId("change-reset").checked = false;
  byId("change").hidden = false;
}
byId("change-cancel").onclick = () => { byId("change").hidden = true; };
byId("change").onsubmit = async e => {
  e.preventDefault();
  const call = await cc.post(`/api/calls/${encodeURIComponent(changing)}`, {
    queue: byId("change-queue").value, priority: Number(byId("change-priority").value),
    reset_entry: byId("change-reset").checked});
  byId("change").hidden = true;
  byId("change-result").textContent = `${call.call_id}: queue ${call.queue}, priority ${call.priority}`;
  loadActs(call.call_id);
};
async function loadActs(awaited, tries = 10) {  // the audit is written just after the act
  const acts = await (await fetch("/api/calls/acts")).json();
  if (awaited && tries > 0 && !acts.some(a => a.entity_id === awaited)) {
    setTimeout(() => loadActs(awaited, tries - 1), 300);
  }
  byId("acts").replaceChildren(...acts.map(a => {
    const tr = document.createElement("tr"), d = a.detail;
    const what = [d.queue !== d.to_queue ? `queue ${d.queue} → ${d.to_queue}` : "",
      d.priority !== d.to_priority ? `priority ${d.priority} → ${d.to_priority}` : "",
      d.reset_entry ? "entry time reset" : ""].filter(Boolean).join(", ");
    tr.append(cc.el("td", new Date(a.at).toLocaleTimeString()), cc.el("td", a.actor),
      cc.el("td", a.entity_id), cc.el("td", what));
    return tr;
  }));
}
async function loadAudit() {
  if (cc.session.role !== "admin") return;
  byId("audit").hidden = false;
  const sessions = await (await fetch("/api/monitoring/sessions")).json();
  byId("sessions").replaceChildren(...sessions.map(s => {
    const tr = document.createElement("tr");
    tr.dataset.session = s.session_id;
    tr.append(cc.el("td", new Date(s.requested_at).toLocaleString()), cc.el("td", s.supervisor),
      cc.el("td", s.agent_id), cc.el("td", s.call_id), cc.el("td", s.modes.map(([m]) => m).join(" → ")),
      cc.el("td", secs(s.duration_s)), cc.el("td", s.reason));
    return tr;
  }));
}
byId("audit-refresh").onclick = loadAudit;
// -- why this agent? (every offer of the call, as the ACD explained it)
async function why(callId) {
  const r = await fetch(`/api/calls/${encodeURIComponent(callId)}/why`);
  const box = byId("why");
  if (!r.ok) { box.replaceChildren(cc.el("p", (await r.json()).error)); return; }
  const {offers} = await r.json();
  box.replaceChildren(...offers.flatMap(({explanation: x}) => {
    const head = cc.el("p", `Call ${x.call_id} (${x.queue}) went to ${x.agent_id}: priority ${x.priority}` +
      `${x.effective_priority !== x.priority ? ` (${x.effective_priority} with aging)` : ""}, waited ${secs(x.waited_s)}; ` +
      `${x.agent_id} in penalty tier ${x.penalty}, idle ${secs(x.idle_s)}` +
      `${Object.keys(x.skills_needed).length ? `, skills needed ${JSON.stringify(x.skills_needed)}` : ""}.`);
    const rule = cc.el("p", `Rule: ${x.rule}.`); rule.className = "muted";
    const list = (title, verdicts) => {
      const ul = cc.el("ul");
      ul.append(...verdicts.map(v => cc.el("li", `${v.id}: ${v.eligible ? "eligible" : "not eligible"}, ${v.why}`)));
      return [cc.el("h3", title), ul];
    };
    return [head, rule, ...list("Other agents", x.agents), ...list("Other calls waiting", x.calls)];
  }));
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
    if (monitoring) refreshMonitoring();  // the agent's call may have ended it
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
cc.load().then(() => {
  connect(); setInterval(render, 1000);
  refreshMonitoring(); loadActs(); loadAudit();
});
