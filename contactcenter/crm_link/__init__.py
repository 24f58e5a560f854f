"""The link between the ACD's calls and the CRM: the screen pop (an offered call's customer
record, history and open complaints for its agent, screenpop.py) and the interaction
recorder (every call's row in the CRM, from the ACD's and the IVR's events, through the
database spool, interactions.py).

Above acd and crm: it reads their events and writes their records. Imports acd (events),
crm, cti (events) and ivr (events); must not import agent_console or sim.
"""
