// The agent page: state buttons, live pop over a reconnecting websocket, wrap-up, search.
let currentCall = null, customerId = null;
const $ = id => document.getElementById(id);
function showState(agent) { $("state").textContent = agent.state; }
function showPop(pop) {
  currentCall = pop.call_id;
  const p = pop.payload, box = $("customer"), c = p.customer;
  box.replaceChildren();
  $("call").textContent = `Call ${pop.call_id} from ${p.caller_num || p.caller || "unknown"}`;
  const dl = document.createElement("dl");
  const add = (k, v) => { dl.append(cc.el("dt", k), cc.el("dd", v)); };
  if (c) {
    customerId = c.id;
    add("Customer", c.name);
    add("Account", c.account_number || "");
    add("Phones", (c.phones || []).join(", "));
  } else {
    customerId = null;
    add("Customer", "Unknown caller " + (p.caller_num || ""));
  }
  for (const [k, v] of Object.entries(p)) {
    if (k !== "customer") add(k, typeof v === "string" ? v : JSON.stringify(v));
  }
  box.append(dl);
}
function connect() {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
  ws.onmessage = e => {
    const m = JSON.parse(e.data);
    if (m.type === "pop") showPop(m);
    else if (m.type === "state") showState(m);
    else if (m.type === "ended") $("call").textContent = `Call ${m.call_id} ended (${m.outcome})`;
  };
  ws.onclose = () => setTimeout(connect, 1000);
}
async function start() {
  await cc.load();
  const view = await (await fetch("/api/agent")).json();
  showState(view.agent);
  if (view.pop) showPop(view.pop);
  const codes = await (await fetch("/api/dispositions")).json();
  for (const d of codes) { const o = cc.el("option", d.label); o.value = d.code; $("disposition").append(o); }
  for (const s of ["login", "available", "logout"])
    $(s).onclick = async () => showState(await cc.post("/api/state", {state: s}));
  $("pause").onclick = async () => showState(await cc.post("/api/state", {state: "paused", reason: $("reason").value}));
  $("hangup").onclick = () => cc.post("/api/hangup");
  $("wrapup").onsubmit = async e => {
    e.preventDefault();
    await cc.post("/api/wrapup", {call_id: currentCall, disposition: $("disposition").value,
      notes: $("notes").value, customer_id: customerId});
    $("saved").textContent = "Saved";
  };
  $("search").onclick = async () => {
    const rows = await (await fetch("/api/customers?q=" + encodeURIComponent($("q").value))).json();
    $("results").replaceChildren(...rows.map(c => {
      const tr = document.createElement("tr");
      tr.append(cc.el("td", c.name), cc.el("td", (c.phones || []).join(", ")));
      return tr;
    }));
  };
  connect();
}
start();
