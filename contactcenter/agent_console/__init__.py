"""Agent console: the aiohttp app (login, REST, websockets, agent/supervisor pages, and the
complaint pages: customer, back office, MIS).

An edge: it talks to the rest through the backend it is given. Must not import sim.

    app = create_app(desk=distributor, db=crm_database, bus=bus, calls=call_actions)
    web.run_app(app)  # or an AppRunner; the pop consumer lives in app.cleanup_ctx

`desk` is anything with the AgentDesk methods (desk.py; acd.Distributor fits); the call
controls need `calls=` with the CallDesk methods (acd.call_actions.CallActions). Sessions
and failed logins live in `db` (auth.py), so a restart signs nobody out. Wrap-ups are
written through `spool=` (crm.spool.WriteSpool: pass the interaction recorder's), which
keeps them while the database is down. Pops come
from the ACD's CallOffered at once, then crm_link.screenpop.ScreenPopper's ScreenPop events on
`bus` with the CRM record (pops.py); users from crm.users.Users, their passwords checked
in a pool of their own (auth.PasswordCheck). Request bodies are read through
validation.py; origins, cookies and security headers are app.py's (its docstring).
The complaint routes (complaints.py) exist with `complaints=` (a complaints.desk.ComplaintDesk)
and show the escalation task's last run with `escalator=`.
The REST API is described at /api/openapi.json.
"""
