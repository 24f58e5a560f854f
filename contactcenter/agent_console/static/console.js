// Shared by the pages: session, CSRF-carrying requests, text-only rendering.
const cc = {session: null};
cc.load = async () => {
  const r = await fetch("/api/session");
  if (r.status === 401) { location.href = "/login"; return; }
  cc.session = await r.json();
  document.getElementById("me").textContent = cc.session.username;
  document.querySelectorAll("input[name=csrf]").forEach(i => i.value = cc.session.csrf);
};
cc.post = async (url, body) => {
  const r = await fetch(url, {method: "POST", body: JSON.stringify(body || {}),
    headers: {"Content-Type": "application/json", "X-CSRF-Token": cc.session.csrf}});
  if (!r.ok) { alert(await r.text()); throw new Error(url); }
  return r.json();
};
cc.el = (tag, text) => { const e = document.createElement(tag); e.textContent = text ?? ""; return e; };
