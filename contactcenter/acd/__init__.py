"""ACD: agents, the agent state machine and the routing policy (who gets which call).

The state machine and routing are pure (no awaits, no sockets). Must not import
agent_console, ivr or sim.
"""
