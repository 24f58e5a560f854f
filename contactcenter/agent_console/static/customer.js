// The customer page (front office): profile, complaints with status, due date and flags,
// one complaint's detail with note / answer / reopen, and a new complaint by call, letter
// or e-mail.
const customerId = Number(new URLSearchParams(location.search).get("id"));
const byId = id => document.getElementById(id);
let shown = null;
async function refresh() {
  const r = await fetch(`/api/customers/${customerId}/complaints`);
  if (!r.ok) { byId("refused").textContent = await r.text(); return; }
  const data = await r.json(), c = data.customer;
  byId("name").textContent = c.name;
  const dl = byId("profile");
  dl.replaceChildren();
  for (const [k, v] of [["Name", c.name], ["Phones", (c.phones || []).join(", ")], ["E-mail", c.email],
    ["Account", c.account_number || ""], ["Segment", c.segment]]) dl.append(cc.el("dt", k), cc.el("dd", v));
  complaints.escalation(byId("escalation"), data.escalation);
  byId("complaints").replaceChildren(...data.complaints.map(x => {
    const tr = complaints.row(x, [`#${x.id}`, x.subject, [x.category, x.subcategory].filter(Boolean).join(" / "),
      x.severity, complaints.status(x), complaints.when(x.resolution_due_at)]);
    tr.onclick = () => show(x.id);
    return tr;
  }));
  if (shown) await show(shown);
}
async function show(id) {
  shown = id;
  const d = await (await fetch(`/api/complaints/${id}`)).json();
  byId("detail-box").hidden = false;
  complaints.detail(byId("detail"), d);
  byId("front-office").replaceChildren(complaints.frontOffice(d.complaint, refresh));
}
async function start() {
  await cc.load();
  await complaints.loadSettings();
  complaints.pickers(byId("category"), byId("subcategory"), byId("severity"));
  byId("new-complaint").onsubmit = async e => {
    e.preventDefault();
    const opened = await cc.post(`/api/customers/${customerId}/complaints`, {subject: byId("subject").value,
      category: byId("category").value, subcategory: byId("subcategory").value, severity: byId("severity").value,
      channel: byId("channel").value, description: byId("description").value});
    byId("opened").textContent = `Opened complaint #${opened.id}`;
    byId("subject").value = byId("description").value = "";
    shown = opened.id;
    await refresh();
  };
  await refresh();
}
start();
