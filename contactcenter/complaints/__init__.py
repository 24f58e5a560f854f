"""Complaint management: the rules that sit above the CRM's storage of complaints.

Owns flows/complaints.yaml (config.py: categories, severities and target times, teams,
business hours), due dates in business time (deadlines.py), escalation decisions
(escalation.py) and the task that carries them out (escalator.py), the MIS figures
(mis.py), the desk the console calls (desk.py) and `contactcenter report complaints`
(report.py). The workflow table itself is crm/complaint_workflow.py, so the storage
refuses an illegal move in the same transaction.

Pure: config parsing, deadlines, escalation and mis. Imports crm, ivr (hours, the flows
beside the settings, CallbackRequested); must not import acd, cti, agent_console or sim.
"""
