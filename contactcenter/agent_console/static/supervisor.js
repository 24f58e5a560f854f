// The supervisor page: the wallboard, refreshed every two seconds, and forced agent actions.
const byId = id => document.getElementById(id);
async function refresh() {
  const r = await fetch("/api/wallboard");
  if (r.status === 401) { location.href = "/login"; return; }
  const board = await r.json();
  byId("queues").replaceChildren(...Object.entries(board.queues).map(([name, q]) => {
    const tr = document.createElement("tr");
    const states = Object.entries(q.agents).filter(([, n]) => n).map(([s, n]) => `${s} ${n}`).join(", ");
    tr.append(cc.el("td", name), cc.el("td", q.waiting), cc.el("td", `${q.longest_wait_s} s`), cc.el("td", states || "none"));
    return tr;
  }));
  byId("totals").textContent = `Answered ${board.answered}, abandoned ${board.abandoned}, overflowed ${board.overflowed}`;
}
for (const action of ["pause", "logout"]) {
  byId(`force-${action}`).onclick = async () => {
    const agent = byId("agent").value.trim();
    const view = await cc.post(`/api/agents/${encodeURIComponent(agent)}/${action}`);
    byId("result").textContent = `${view.agent_id}: ${view.state}`;
    refresh();
  };
}
cc.load().then(() => { refresh(); setInterval(refresh, 2000); });
