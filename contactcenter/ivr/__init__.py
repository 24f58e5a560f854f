"""IVR: the flow model, YAML loader and validator, the step types (steptypes/: each defined
once), the pure interpreter and the FastAGI edge.

Owns flow definitions and per-call flow sessions. Must not import agent_console or sim.
"""
