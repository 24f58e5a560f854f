"""Queue stores: one interface, a memory store (one process) and a Redis store (many).

Owns queue order, agent states and offers; an offer is atomic in either store.
Must not import cti, ivr, agent_console or sim.
"""
