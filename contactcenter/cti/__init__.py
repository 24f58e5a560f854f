"""CTI: the AMI bridge (panoramisk), the call model built from AMI events, call control
and the screen pop.

Owns the link to Asterisk. Nothing above cti/ knows whether it talks to a real Asterisk
or to the simulator. Must not import agent_console or sim.
"""
