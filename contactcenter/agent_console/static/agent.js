// The agent page: state buttons, call controls, live pop over a reconnecting websocket
// (with the caller's complaints), wrap-up with a complaint, search, click-to-dial.
let currentCall = null, endedCall = null, customerId = null, openComplaints = [];
const $ = id => document.getElementById(id);
function showState(agent) { $("state").textContent = agent.state; }
function showPop(pop) {
  currentCall = pop.call_id;
  const p = pop.payload, box = $("customer"), c = p.customer;
  box.replaceChildren();
  if (pop.call_id !== endedCall) $("call").textContent = `Call from ${p.caller?.number || "unknown"} (${p.queue || ""})`;
  const dl = document.createElement("dl");
  const add = (k, v) => { dl.append(cc.el("dt", k), cc.el("dd", v)); };
  customerId = c ? c.id : null;
  if (c) {
    add("Customer", c.name);
    add("Account", c.account_number || "");
    add("Phones", "");
    dl.lastChild.append(...(c.phones || []).map(dialButton));
    add("Segment", c.segment || "");
  } else {
    add("Customer", p.lookup === "pending" ? "Looking up…" : p.lookup === "failed" ? "Customer record unavailable" : "Unknown caller");
  }
  add("Waited", `${Math.round(p.wait_s || 0)} s`);
  if (p.caller_said) add("Caller said", `“${p.caller_said}”`);
  add("IVR path", (p.ivr?.path || []).join(" → "));
  for (const [k, v] of Object.entries(p.ivr?.answers || {})) if (k !== "said") add(k, v);
  add("Complaints", "");
  const list = dl.lastChild;
  list.id = "pop-complaints";
  showPopComplaints(list, p.open_complaints || []);
  const rated = i => i.survey_score ? `, rated ${i.survey_score}/5` : "";
  add("History", (p.recent_interactions || []).map(i => `${(i.entered_at || "").slice(0, 16)} ${i.disposition || i.outcome || ""}${rated(i)}`).join("; ") || "none");
  box.append(dl);
  showComplaints(p.open_complaints || []);
  if (c) { const a = cc.el("a", "Customer page"); a.href = `/customer?id=${c.id}`; a.target = "_blank"; box.append(a); }
  if (!c && p.new_customer) box.append(newCustomerForm(p.new_customer));
}
// the caller's complaints not closed: what is overdue, a solution to tell, a note to add
function showPopComplaints(list, found) {
  list.replaceChildren();
  if (!found.length) list.textContent = "none";
  for (const c of found) {
    const item = document.createElement("div");
    const alert = cc.el("strong", complaints.alert(c));
    if (c.overdue) alert.className = "overdue";
    item.append(alert, complaints.line(c));
    if (c.status === "resolved" && c.solution) item.append(cc.el("p", `Solution to tell the customer: ${c.solution}`));
    item.append(complaints.frontOffice(c, refreshComplaints, currentCall));
    list.append(item);
  }
}
async function refreshComplaints() {
  if (!customerId) return;
  const r = await fetch(`/api/customers/${customerId}/complaints`);
  if (!r.ok) return;
  const found = (await r.json()).complaints.filter(c => c.status !== "closed");
  const list = $("pop-complaints");
  if (list) showPopComplaints(list, found);
  showComplaints(found);
}
function clearPop() {  // the offer ended unanswered: nothing of it stays on the page
  currentCall = customerId = null;
  $("call").textContent = "No call";
  $("customer").textContent = "Waiting for a call…";
  showComplaints([]);
}
function dialButton(number) {
  const b = cc.el("button", `Call ${number}`);
  b.className = "dial";
  b.onclick = async () => { const r = await cc.post("/api/dial", {number}); $("dialled").textContent = `Dialling ${r.number}…`; };
  return b;
}
function showControls(status) {
  const held = !!status?.held, consulting = status?.consulting || null;
  $("call-status").textContent = held ? "On hold" : consulting ? `Consulting ${consulting}` : "";
  $("hold").hidden = held || !!consulting; $("resume").hidden = !held;
  $("consult-complete").hidden = $("consult-cancel").hidden = !consulting;
  $("transfer").hidden = $("consult").hidden = !!consulting;
}
function transferTarget() {
  const value = $("target").value.trim();
  return $("target-kind").value === "queue" ? {queue: value} : {number: value};
}
function showComplaints(found) {
  openComplaints = found;
  const options = [cc.el("option", "No complaint"), cc.el("option", "New complaint")];
  options[0].value = ""; options[1].value = "new";
  for (const c of found) { const o = cc.el("option", `#${c.id} ${c.subject} (${complaints.status(c)})`); o.value = c.id; options.push(o); }
  const chosen = $("complaint").value;
  $("complaint").replaceChildren(...options);
  if ([...$("complaint").options].some(o => o.value === chosen)) $("complaint").value = chosen;
  pickComplaint();
}
function pickComplaint() {
  const chosen = $("complaint").value;
  const picked = openComplaints.find(c => String(c.id) === chosen);
  $("complaint-subject").value = picked ? picked.subject : "";
  for (const id of ["complaint-subject", "complaint-category", "complaint-subcategory", "complaint-severity"])
    $(id).disabled = chosen !== "new";
  for (const id of ["complaint-resolve", "complaint-notes"]) $(id).disabled = !chosen;
}
function complaintChange() {
  const chosen = $("complaint").value;
  if (!chosen) return null;
  const change = {resolve: $("complaint-resolve").checked, notes: $("complaint-notes").value};
  if (chosen !== "new") return {id: Number(chosen), ...change};
  return {...change, subject: $("complaint-subject").value, category: $("complaint-category").value,
    subcategory: $("complaint-subcategory").value, severity: $("complaint-severity").value};
}
function newCustomerForm(prefill) {
  const form = document.createElement("form");
  form.id = "new-customer";
  const input = (name, value) => { const i = document.createElement("input"); i.name = name; i.value = value || ""; i.placeholder = name; form.append(i); return i; };
  const name = input("name", prefill.name), phone = input("phone", (prefill.phones || [])[0]), account = input("account_number", prefill.account_number);
  const save = cc.el("button", "Create customer"); save.className = "primary"; form.append(save);
  form.onsubmit = async e => {
    e.preventDefault();
    const created = await cc.post("/api/customers", {name: name.value, phones: phone.value ? [phone.value] : [], account_number: account.value || null});
    customerId = created.id;
    form.replaceWith(cc.el("p", `Created ${created.name}`));
  };
  return form;
}
function connect() {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
  ws.onmessage = e => {
    const m = JSON.parse(e.data);
    if (m.type === "pop") showPop(m);
    else if (m.type === "state") showState(m);
    else if (m.type === "withdrawn" && m.call_id === currentCall) clearPop();
    else if (m.type === "ended") { endedCall = m.call_id; $("call").textContent = `Call ${m.call_id} ended (${m.outcome})`; showControls(null); }
  };
  ws.onclose = () => setTimeout(connect, 1000);
}
async function start() {
  await cc.load();
  const view = await (await fetch("/api/agent")).json();
  showState(view.agent);
  if (view.pop) showPop(view.pop);
  showControls(view.call);
  const codes = await (await fetch("/api/dispositions")).json();
  for (const d of codes) { const o = cc.el("option", d.label); o.value = d.code; $("disposition").append(o); }
  for (const s of ["login", "available", "logout"])
    $(s).onclick = async () => showState(await cc.post("/api/state", {state: s}));
  $("pause").onclick = async () => showState(await cc.post("/api/state", {state: "paused", reason: $("reason").value}));
  for (const s of ["login", "available", "pause", "logout"]) $(s).disabled = false;  // wired now
  $("hangup").onclick = () => cc.post("/api/hangup");
  for (const [id, path] of [["hold", "hold"], ["resume", "resume"], ["consult-complete", "consult/complete"], ["consult-cancel", "consult/cancel"]])
    $(id).onclick = async () => showControls(await cc.post(`/api/call/${path}`));
  $("transfer").onclick = async () => showControls(await cc.post("/api/call/transfer", transferTarget()));
  $("consult").onclick = async () => showControls(await cc.post("/api/call/consult", {number: $("target").value.trim()}));
  const settings = await fetch("/api/complaints/settings");
  if (settings.ok) {
    complaints.settings = await settings.json();
    complaints.pickers($("complaint-category"), $("complaint-subcategory"), $("complaint-severity"));
  } else $("complaint-fields").hidden = true;  // complaints are not configured
  $("complaint").onchange = pickComplaint;
  pickComplaint();
  $("wrapup").onsubmit = async e => {
    e.preventDefault();
    const saved = await cc.post("/api/wrapup", {call_id: currentCall, disposition: $("disposition").value,
      notes: $("notes").value, customer_id: customerId, complaint: complaintChange()});
    const c = saved.complaint;
    // 202 {saved: false, queued: true}: the database is down; the platform keeps the wrap-up
    $("saved").textContent = !saved.saved ? "Will be saved when the database is back"
      : c ? `Saved, complaint #${c.id} ${complaints.status(c)}` : "Saved";
    $("complaint-notes").value = "";
    $("complaint-resolve").checked = false;
    await refreshComplaints();
    if (c && openComplaints.some(o => o.id === c.id)) { $("complaint").value = c.id; pickComplaint(); }
  };
  $("search").onclick = async () => {
    const rows = await (await fetch("/api/customers?q=" + encodeURIComponent($("q").value))).json();
    $("results").replaceChildren(...rows.map(c => {
      const tr = document.createElement("tr");
      const phones = cc.el("td"); phones.append(...(c.phones || []).map(dialButton));
      tr.append(cc.el("td", c.name), phones);
      return tr;
    }));
  };
  connect();
}
start();
