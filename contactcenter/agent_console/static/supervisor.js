// The supervisor page: the wallboard, refreshed every two seconds.
async function refresh() {
  const r = await fetch("/api/wallboard");
  if (r.status === 401) { location.href = "/login"; return; }
  const board = await r.json(), table = document.getElementById("board");
  table.replaceChildren();
  for (const [k, v] of Object.entries(board)) {
    const tr = document.createElement("tr");
    tr.append(cc.el("th", k), cc.el("td", typeof v === "string" ? v : JSON.stringify(v)));
    table.append(tr);
  }
}
cc.load().then(() => { refresh(); setInterval(refresh, 2000); });
