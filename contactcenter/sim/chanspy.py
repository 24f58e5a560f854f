"""ChanSpy as the simulator runs it (pure): the supervisor's originated leg spies on one
channel, in listen, whisper or barge mode, switching with the keys 4, 5 and 6 when the
options hold `d`, and ending with the spied-on leg when they hold `E`
(tests/asterisk/test_monitoring.py shows a real Asterisk 20 doing so).

A real ChanSpy makes no sound the simulator could check, so a Spy records the modes it was
in, in order: what a test asserts the supervisor's page asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from contactcenter.sim.ami_frames import Fields
from contactcenter.sim.channels import Channel, channel_fields

SWITCH_KEYS = {"4": "listen", "5": "whisper", "6": "barge"}  # with the `d` option


@dataclass
class Spy:
    """One ChanSpy application running on `spyer`, spying on `spyee`."""

    spyer: str
    spyee: str
    options: str
    modes: list[str] = field(default_factory=list)  # every mode it was in, in order
    spying: bool = False  # between ChanSpyStart and ChanSpyStop

    @classmethod
    def of(cls, spyer: str, data: str) -> Spy:
        """ChanSpy(<channel>,<options>) as an Originate's Data gives it."""
        spyee, _, options = data.partition(",")
        mode = "barge" if "B" in options else "whisper" if "w" in options else "listen"
        return cls(spyer, spyee.strip(), options, [mode])

    @property
    def mode(self) -> str:
        return self.modes[-1]

    @property
    def ends_with_spyee(self) -> bool:
        return "E" in self.options

    def key(self, digit: str) -> bool:
        """A key pressed on the spyer's phone (or sent by PlayDTMF Receive): whether it
        switched the mode."""
        mode = SWITCH_KEYS.get(digit) if "d" in self.options else None
        if mode is None or mode == self.mode:
            return False
        self.modes.append(mode)
        return True


def spy_fields(spyer: Channel, spyee: Channel | None) -> Fields:
    """ChanSpyStart/ChanSpyStop's headers: both channels' snapshots, prefixed (a spied-on
    channel already gone has none)."""
    fields = [("Spyer" + key, value) for key, value in channel_fields(spyer)]
    if spyee is not None:
        fields += [("Spyee" + key, value) for key, value in channel_fields(spyee)]
    return fields
