"""contactcenter: IVR, ACD and CTI on Asterisk.

Packages own one concern each and import only what is below them (docs/architecture.md,
checked by tests/test_architecture.py): speech/ prompts and recognition, crm/ the SQL
database, cti/ the Asterisk bridge, ivr/ flows, acd/ agents and routing, queue/ queue
stores, crm_link/ screen pop and interaction records, complaints/ and reports/,
agent_console/ the web app, sim/ the PBX simulator; app.py wires them together.
"""

__version__ = "0.1.0"
