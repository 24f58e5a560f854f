"""ChanSpy as the platform uses it for live monitoring (pure): the modes, the options that
start each, and the key that switches to each while the spy's leg runs.

The supervisor's phone is originated into `ChanSpy(<agent's leg>,<options>)`:
- `q`: no beep and no channel name spoken when spying starts;
- `E`: ChanSpy ends when the spied-on leg hangs up, and the supervisor's leg with it (the
  originated application is over);
- `u`: the argument is the agent leg's full channel name, never a prefix, so no other
  channel is ever spied on (a leg that is gone ends ChanSpy at once);
- `d`: the keys 4, 5 and 6 switch to listen, whisper and barge during the session, on the
  same leg: the platform sends the key (AMI PlayDTMF with Receive, as if pressed on the
  supervisor's phone), and the supervisor may press it too. Re-originating instead would
  ring the supervisor again and leave a gap in what they hear;
- `w` (whisper: the agent hears the supervisor, the caller does not) or `B` (barge: both
  do) for the first mode; none for listen.
The options never hold `D`: Asterisk refuses an Originate whose data names `DB` (and
other functions) to a user without the system class (asterisk-config/README.md).
"""

from __future__ import annotations

from enum import StrEnum

CHANSPY = "ChanSpy"
OPTIONS = "qEdu"


class SpyMode(StrEnum):
    LISTEN = "listen"  # the supervisor hears both sides; nobody hears them
    WHISPER = "whisper"  # and the agent hears the supervisor; the caller does not
    BARGE = "barge"  # and both hear the supervisor: a three-way call


MODE_OPTION = {SpyMode.LISTEN: "", SpyMode.WHISPER: "w", SpyMode.BARGE: "B"}
MODE_KEY = {SpyMode.LISTEN: "4", SpyMode.WHISPER: "5", SpyMode.BARGE: "6"}


def chanspy_data(channel: str, mode: SpyMode) -> str:
    """ChanSpy's data to spy on exactly `channel`, starting in `mode`."""
    return f"{channel},{OPTIONS}{MODE_OPTION[mode]}"
