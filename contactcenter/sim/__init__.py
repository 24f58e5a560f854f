"""PBX simulator: speaks Asterisk 20's AMI and FastAGI dialect, as captured in
tests/fixtures/asterisk-20, with scripted callers and agents. It runs asterisk-config's
dialplan (dialplan.py), Bridge() with its x and F options as bridge_exec does, and, with
``chaos=SEED``, delivers events of different channels in a seeded random order with a real
Asterisk's noise (interleave.py), as a loaded Asterisk does (issue 9).

Must not import the platform (cti, acd, ivr, queue, ...): it stands where Asterisk stands.
"""

from contactcenter.sim.scenario import ScriptedAgent, ScriptedCaller, Speech
from contactcenter.sim.simulator import PbxSimulator, SimCall
from contactcenter.sim.sounds import SoundLibrary
from contactcenter.sim.stats import CallOutcome, SimStats

__all__ = ["CallOutcome", "PbxSimulator", "ScriptedAgent", "ScriptedCaller", "SimCall",
           "SimStats", "SoundLibrary", "Speech"]
