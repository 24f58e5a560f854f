"""CTI: the AMI bridge (panoramisk), the call model built from AMI events, call control,
the CC_* channel variables and what the platform dials.

Owns the link to Asterisk. Nothing above cti/ knows whether it talks to a real Asterisk
or to the simulator. Imports only the base modules (errors, events, config, backoff,
health, logs); the screen pop and the interaction recorder, which read the ACD and write
the CRM, are crm_link's.
"""
