"""Agent console: the aiohttp app (login, REST, websockets, agent/supervisor pages).

An edge: it talks to the rest through the backend it is given. Must not import sim.

    app = create_app(desk=distributor, db=crm_database, bus=bus)   # agent_console.app
    web.run_app(app)  # or an AppRunner; the pop consumer lives in app.cleanup_ctx

`desk` is anything with the AgentDesk methods (desk.py; acd.Distributor fits). Pops come
from cti.screenpop.ScreenPopper's ScreenPop events on `bus`; users from crm.users.Users.
The REST API is described at /api/openapi.json.
"""
