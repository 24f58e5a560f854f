"""Reports: the history of every queue and agent event, and the figures read from it.

Owns the history recorder (history.py: the ACD's and the IVR's events into the queue log,
crm/queue_log.py, through the database spool), the interval reports per queue and per agent
(intervals.py, pure), their loading from the database (load.py) and
`contactcenter report queues|agents` (report.py). Staffing by Erlang C is the ACD's
(acd/staffing.py); this package feeds it the last interval's figures.

Imports crm, acd (events, queues, agent time, staffing) and ivr.events; must not import
cti, agent_console or sim.
"""
