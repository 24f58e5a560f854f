// Complaints as the agent, customer, back-office and MIS pages show them: one-line
// summaries with due dates and what is overdue or escalated, the full detail (thread,
// history, calls, outbox), the category pickers and the escalation task's last check.
const complaints = {settings: null};
complaints.loadSettings = async () => {
  complaints.settings ??= await (await fetch("/api/complaints/settings")).json();
  return complaints.settings;
};
complaints.when = iso => iso ? new Date(iso).toLocaleString([], {weekday: "short", month: "2-digit",
  day: "2-digit", hour: "2-digit", minute: "2-digit"}) : "–";
complaints.status = c => c.status.replace("_", " ");
complaints.flags = c => [c.response_overdue && "response overdue", c.resolution_overdue && "resolution overdue",
  c.escalation_level && `escalated to ${c.escalated_to}`].filter(Boolean);
// what the pop says before the agent answers: "open complaint #42, overdue"
complaints.alert = c => `${c.status === "resolved" ? "resolved complaint" : "open complaint"} #${c.id}` +
  (c.overdue ? ", overdue" : "") + (c.escalation_level ? ", escalated" : "");
complaints.line = c => {
  const due = c.status === "resolved" || c.status === "closed" ? "" : `, due ${complaints.when(c.resolution_due_at)}`;
  const p = cc.el("p", `#${c.id} ${c.subject} — ${complaints.status(c)}${due}`);
  p.className = "complaint";
  p.dataset.id = c.id;
  for (const flag of complaints.flags(c)) { const b = cc.el("span", flag); b.className = "flag"; p.append(" ", b); }
  if (c.overdue) p.classList.add("overdue");
  return p;
};
complaints.escalation = (element, status) => {
  if (!status) { element.textContent = ""; return; }
  element.textContent = status.last_error ? `Escalation check failed: ${status.last_error}`
    : `Escalation checked ${complaints.when(status.last_run)} (every ${Math.round(status.every_s)} s), ${status.escalated} escalated since start`;
  element.classList.toggle("overdue", !!status.last_error);
};
complaints.row = (c, cells) => {
  const tr = document.createElement("tr");
  tr.dataset.id = c.id;
  if (c.overdue) tr.className = "overdue";
  for (const cell of cells) tr.append(cc.el("td", cell));
  const flags = cc.el("td", complaints.flags(c).join(", "));
  tr.append(flags);
  return tr;
};
// a <select> of the settings' categories, and its subcategories in a second one
complaints.pickers = (category, subcategory, severity, chosen = {}) => {
  const s = complaints.settings;
  const fill = (select, values, value) => {
    select.replaceChildren(...values.map(v => { const o = cc.el("option", v || "(none)"); o.value = v; return o; }));
    if (value !== undefined) select.value = value;
  };
  fill(category, Object.keys(s.categories), chosen.category || undefined);
  const subs = () => fill(subcategory, s.categories[category.value].length ? s.categories[category.value] : [""], chosen.subcategory);
  category.onchange = () => { chosen = {}; subs(); };
  subs();
  fill(severity, s.severities, chosen.severity || undefined);
};
complaints.detail = (box, d) => {
  const c = d.complaint;
  box.replaceChildren();
  box.append(cc.el("h3", `#${c.id} ${c.subject}`));
  const dl = document.createElement("dl");
  const add = (k, v) => dl.append(cc.el("dt", k), cc.el("dd", v ?? ""));
  add("Customer", c.customer_name);
  add("Status", complaints.status(c));
  add("Category", [c.category || "(none)", c.subcategory].filter(Boolean).join(" / "));
  add("Severity", c.severity || "(none)");
  add("Channel", c.channel);
  add("Team", c.team);
  add("Assignee", c.assignee || "nobody");
  add("Received", `${complaints.when(c.created_at)} by ${c.created_by}`);
  add("Response due", complaints.when(c.response_due_at));
  add("Resolution due", complaints.when(c.resolution_due_at));
  add("First response", complaints.when(c.first_response_at));
  add("Flags", complaints.flags(c).join(", ") || "none");
  add("Description", c.description);
  add("Solution", c.solution ? `${c.solution} (${c.solution_by})` : "none yet");
  add("Customer's answer", c.accepted === null ? "not given" : c.accepted ? "accepted" : "refused");
  if (c.reopened) add("Reopened", `${c.reopened} time(s)`);
  box.append(dl);
  const list = (title, id, items, text) => {
    box.append(cc.el("h4", title));
    const ul = document.createElement("ul");
    ul.id = id;
    ul.append(...items.map(item => cc.el("li", text(item))));
    if (!items.length) ul.append(cc.el("li", "none"));
    box.append(ul);
  };
  list("Notes", "thread", d.notes, n => `${complaints.when(n.at)} ${n.author}: ${n.body}${n.call_id ? ` (call ${n.call_id})` : ""}`);
  list("Calls", "calls", d.interactions, i => `${complaints.when(i.entered_at)} ${i.call_id} ${i.agent_id || ""} ${i.disposition || i.outcome || i.state}`);
  list("Outbox", "outbox", d.outbox, m => `${m.channel} to ${m.recipient}: ${m.subject} — ${m.sent_at ? "sent" : "waiting"}`);
  list("History", "history", d.history, h => `${complaints.when(h.at)} ${h.actor} ${h.action}${h.detail.status ? ` → ${h.detail.status}` : ""}`);
};
// the front office's part, on any page that shows a complaint: note, the customer's answer, reopen
complaints.frontOffice = (c, refresh, callId = null) => {
  const box = document.createElement("div");
  box.className = "actions";
  const note = document.createElement("input");
  note.placeholder = "Note (what the customer said)";
  note.className = "note";
  const add = cc.el("button", "Add note");
  add.className = "add-note";
  add.onclick = async () => { await cc.post(`/api/complaints/${c.id}/notes`, {body: note.value, call_id: callId}); note.value = ""; refresh(); };
  box.append(note, add);
  if (c.status === "resolved" && c.accepted === null) {
    for (const [label, accepted] of [["Customer accepts", true], ["Customer refuses", false]]) {
      const b = cc.el("button", label);
      b.className = accepted ? "accept" : "refuse";
      b.onclick = async () => { await cc.post(`/api/complaints/${c.id}/answer`, {accepted, note: note.value}); refresh(); };
      box.append(b);
    }
  }
  if (c.status === "resolved" || c.status === "closed") {
    const b = cc.el("button", "Reopen");
    b.className = "reopen";
    b.onclick = async () => { await cc.post(`/api/complaints/${c.id}/reopen`, {reason: note.value}); refresh(); };
    box.append(b);
  }
  return box;
};
