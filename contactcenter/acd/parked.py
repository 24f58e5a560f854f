"""The queued call a parked caller's channel describes: the CC_* variables the IVR set
(cti/variables.py), seen as they are set or read back by a resync after a restart."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl

from contactcenter.acd.routing import WaitingCall
from contactcenter.cti import variables as cc


def parked_call(uniqueid: str, channel: str, values: Mapping[str, str], caller_num: str,
                caller_name: str, now: float) -> WaitingCall:
    """The call as the IVR queued it; without CC_ENTERED it entered `now`."""
    return WaitingCall(
        call_id=uniqueid, channel=channel, queue=values[cc.QUEUE],
        entered_at=_number(values.get(cc.ENTERED), now),
        priority=int(_number(values.get(cc.PRIORITY), 0)), caller_num=caller_num,
        caller_name=caller_name, skills=_skills(values.get(cc.SKILLS, "")),
        fields=dict(parse_qsl(values.get(cc.FIELDS, ""))),
        ivr_path=values.get(cc.IVR_PATH, ""))


def joined_at(values: Mapping[str, str], call: WaitingCall) -> float:
    """When the call joined its current queue: an overflow to another queue set CC_JOINED."""
    return _number(values.get(cc.JOINED), call.entered_at)


def _number(text: str | None, default: float) -> float:
    try:
        return float(text) if text else default
    except ValueError:
        return default


def _skills(text: str) -> dict[str, int]:
    skills = {}
    for part in filter(None, text.split(",")):
        name, _, level = part.partition(":")
        skills[name.strip()] = int(_number(level, 0))
    return skills
