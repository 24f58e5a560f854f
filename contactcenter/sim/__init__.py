"""PBX simulator: speaks Asterisk 20's AMI and FastAGI dialect, as captured in
tests/fixtures/asterisk-20, with scripted callers and agents.

Must not import the platform (cti, acd, ivr, queue, ...): it stands where Asterisk stands.
"""

from contactcenter.sim.scenario import ScriptedAgent, ScriptedCaller, Speech
from contactcenter.sim.simulator import PbxSimulator, SimCall
from contactcenter.sim.sounds import SoundLibrary
from contactcenter.sim.stats import CallOutcome, SimStats

__all__ = ["CallOutcome", "PbxSimulator", "ScriptedAgent", "ScriptedCaller", "SimCall",
           "SimStats", "SoundLibrary", "Speech"]
