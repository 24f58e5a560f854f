"""Agent console: the aiohttp app (login, REST, websockets, agent/supervisor/admin pages).

An edge: it talks to the rest through the backend it is given. Must not import sim.
"""
