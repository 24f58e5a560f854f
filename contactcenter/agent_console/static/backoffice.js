// The back-office page: the work queue (mine, my teams', all), soonest resolution due
// first with what is overdue or escalated, and one complaint's resolution: take, assign,
// solution, ask the customer, resolve, close, reopen, reclassify, notes.
const byId = id => document.getElementById(id);
let current = null;
async function refresh() {
  const query = new URLSearchParams({scope: byId("scope").value});
  for (const key of ["status", "category", "severity"]) if (byId(key).value) query.set(key, byId(key).value);
  if (byId("escalated").checked) query.set("escalated", "1");
  const r = await fetch(`/api/complaints?${query}`);
  if (r.status === 401) { location.href = "/login"; return; }
  if (!r.ok) { byId("result").textContent = await r.text(); return; }
  const data = await r.json();
  complaints.escalation(byId("escalation"), data.escalation);
  byId("queue").replaceChildren(...data.complaints.map(c => {
    const tr = complaints.row(c, [`#${c.id}`, c.customer_name, c.subject,
      [c.category, c.subcategory].filter(Boolean).join(" / "), c.severity, complaints.status(c), c.assignee || "",
      c.team, complaints.when(c.response_due_at), complaints.when(c.resolution_due_at)]);
    tr.onclick = () => open(c.id);
    return tr;
  }));
}
async function open(id) {
  const d = await (await fetch(`/api/complaints/${id}`)).json();
  current = d.complaint;
  byId("work").hidden = false;
  complaints.detail(byId("detail"), d);
  byId("customer-link").href = `/customer?id=${current.customer_id}`;
  byId("solution").value = current.solution;
  complaints.pickers(byId("new-category"), byId("new-subcategory"), byId("new-severity"), current);
}
async function act(path, body) {
  const done = await cc.post(`/api/complaints/${current.id}/${path}`, body);
  const c = done.complaint || done;
  byId("result").textContent = `#${current.id}: ${path} done${c.status ? `, now ${complaints.status(c)}` : ""}` +
    (done.callback ? `, callback ${done.callback.call_id} queued in ${done.callback.queue}` : "") +
    (done.outbox ? `, ${done.outbox.channel} in the outbox` : "");
  await open(current.id);
  await refresh();
}
async function start() {
  await cc.load();
  const s = await complaints.loadSettings();
  if (!["supervisor", "admin"].includes(cc.session.role)) byId("scope").querySelector("[value=all]").remove();
  else byId("scope").value = "all";
  for (const [id, values] of [["category", Object.keys(s.categories)], ["severity", s.severities]])
    for (const v of values) { const o = cc.el("option", v); o.value = v; byId(id).append(o); }
  const resolvers = [...new Set(Object.values(s.teams).flatMap(t => t.members))].sort();
  byId("assignee").replaceChildren(...resolvers.map(u => { const o = cc.el("option", u); o.value = u; return o; }));
  for (const id of ["scope", "status", "category", "severity", "escalated"]) byId(id).onchange = refresh;
  byId("refresh").onclick = refresh;
  for (const path of ["take", "start", "close"]) byId(path).onclick = () => act(path);
  byId("assign").onclick = () => act("assign", {assignee: byId("assignee").value});
  byId("save-solution").onclick = () => act("solution", {solution: byId("solution").value});
  byId("resolve").onclick = () => act("resolve", {solution: byId("solution").value});
  byId("ask").onclick = () => act("ask", {via: byId("via").value, question: byId("question").value});
  byId("reopen").onclick = () => act("reopen", {reason: byId("note").value});
  byId("classify").onclick = () => act("classify", {category: byId("new-category").value,
    subcategory: byId("new-subcategory").value, severity: byId("new-severity").value});
  byId("add-note").onclick = async () => {
    await cc.post(`/api/complaints/${current.id}/notes`, {body: byId("note").value});
    byId("note").value = "";
    await open(current.id);
  };
  await refresh();
  setInterval(refresh, 15000);
}
start();
