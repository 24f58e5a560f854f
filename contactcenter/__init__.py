"""contactcenter: IVR, ACD and CTI on Asterisk.

Packages own one concern each (see ../shared/DESIGN.md): ivr/ flows, acd/ agents and
routing, queue/ queue stores, cti/ the Asterisk bridge and screen pop, crm/ the SQL
database, speech/ prompts, agent_console/ the web app, sim/ the PBX simulator.
"""

__version__ = "0.1.0"
