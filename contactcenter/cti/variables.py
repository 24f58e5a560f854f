"""The `CC_*` channel variables: how the IVR hands a call to the ACD through Asterisk.

The IVR's queue step sets them (AGI SET VARIABLE); they ride on the channel, so after a
restart or AMI reconnect the platform rebuilds its queues from Asterisk alone
(CoreShowChannels + Getvar). Values never hold CR/LF; FIELDS is URL-encoded.
"""

CALL_ID = "CC_CALL_ID"  # the platform's call id (the caller channel's Uniqueid)
QUEUE = "CC_QUEUE"  # queue name; non-empty sends the caller to the cc-wait context
PRIORITY = "CC_PRIORITY"  # integer, higher is served first
SKILLS = "CC_SKILLS"  # "billing:2,french:1" (skill:minimum level)
ENTERED = "CC_ENTERED"  # queue entry time, epoch seconds (keeps FIFO order across restarts)
FIELDS = "CC_FIELDS"  # IVR answers for the screen pop, urlencoded "account=123&reason=bill"
IVR_PATH = "CC_IVR_PATH"  # the steps the caller walked, "main:welcome,main:menu"
FLOW = "CC_FLOW"  # the flow name (and version) the caller ran
CALLBACK = "CC_CALLBACK"  # number to call back, when the caller chose a queued callback
JOINED = "CC_JOINED"  # when an overflow moved the call into CC_QUEUE (its overflow clock)
ENTRY = "CC_ENTRY"  # a new token each time the caller is put in a queue (acd/entry.py)
IVR_END = "CC_IVR_END"  # the IVR ended the call on purpose (else the dialplan's fallback queues)
AFTER_CALL = "CC_AFTER_CALL"  # set by a hold: the after-call flow [cc-hold] goes on to
# on an agent's leg ([cc-agent]): the caller's channel it Bridges to, and Bridge's options
PEER = "CC_PEER"
BRIDGE_OPTS = "CC_BRIDGE_OPTS"

ALL = (CALL_ID, QUEUE, PRIORITY, SKILLS, ENTERED, FIELDS, IVR_PATH, FLOW, CALLBACK, JOINED,
       ENTRY)
