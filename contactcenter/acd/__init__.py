"""ACD: agents, the agent state machine, the routing policy (who gets which call), overflow,
announcements, callbacks and wallboard metrics.

The state machine, routing, overflow decisions and metrics are pure (no awaits, no
sockets). Must not import agent_console or sim; of ivr, only ivr.events (the facts the
IVR publishes, e.g. CallbackRequested).
"""
