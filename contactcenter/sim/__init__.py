"""PBX simulator: speaks Asterisk 20's AMI and FastAGI dialect, as captured in
shared/fixtures/asterisk-20, with scripted callers and agents.

Must not import the platform (cti, acd, ivr, ...): it stands where Asterisk stands.
"""
