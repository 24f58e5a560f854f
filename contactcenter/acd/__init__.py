"""ACD: agents, the agent state machine, the routing policy (who gets which call), overflow,
announcements, callbacks and wallboard metrics.

The state machine, routing, overflow and resync decisions and metrics are pure (no awaits,
no sockets); the distributor, with its queue watch and callback book, carries them out.
Must not import agent_console or sim; of ivr, only ivr.events (the facts the IVR publishes,
e.g. CallbackRequested).
"""
