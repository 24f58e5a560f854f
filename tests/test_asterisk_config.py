"""asterisk-config/ grants the platform what its code needs and nothing more.

The AMI user's read classes and event filters follow from the events the call model reads
(cti/calls.py), its write classes from the actions the platform sends; the tables below say
which class Asterisk 20 puts each event and action in, from its source. A new event read or
action sent fails here until manager.conf (and its reasons in README.md) say so.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contactcenter.cti.calls import CallModel

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "asterisk-config"

# The class of each AMI event, as Asterisk 20 declares it (managerEventInstance class=):
# main/manager_channels.c, main/manager_bridges.c, main/stasis_channels.c (VarSet),
# main/manager.c (OriginateResponse, UserEvent), res/res_agi.c, main/rtp_engine.c,
# main/asterisk.c (FullyBooted).
EVENT_CLASS = {
    "Newchannel": "call", "Newstate": "call", "Hangup": "call", "HangupRequest": "call",
    "SoftHangupRequest": "call", "DialBegin": "call", "DialEnd": "call",
    "MusicOnHoldStart": "call", "MusicOnHoldStop": "call", "BridgeEnter": "call",
    "BridgeLeave": "call", "OriginateResponse": "call",  # call, not originate
    "VarSet": "dialplan", "Newexten": "dialplan", "DTMFEnd": "dtmf", "UserEvent": "user",
    "AGIExecStart": "agi", "AGIExecEnd": "agi", "RTCPSent": "reporting",
    "FullyBooted": "system",
}
# The write classes that allow each action (main/manager.c ast_manager_register_xml_core,
# main/features.c for Bridge); any one of them is enough. Empty: every user may.
ACTION_CLASSES = {
    "Login": set(), "Logoff": set(), "Events": set(),
    "Originate": {"originate"},
    "Hangup": {"system", "call"},
    "Redirect": {"call"}, "Setvar": {"call"}, "Getvar": {"call", "reporting"},
    "Bridge": {"call"}, "BlindTransfer": {"call"}, "Atxfer": {"call"}, "CancelAtxfer": {"call"},
    "PlayDTMF": {"call"},  # apps/app_senddtmf.c: EVENT_FLAG_CALL
    "CoreShowChannels": {"system", "reporting"},
}
NEVER_WRITE = {"system", "command", "config", "agi"}  # shell, CLI, config files, AGI apps


def conf_lines(path: Path) -> list[tuple[str, str, str]]:
    """(section, key, value) of every setting of an Asterisk .conf file, in order;
    `[name](template)` counts as section `name`."""
    section, found = "", []
    for raw in path.read_text().splitlines():
        line = raw.split(";", 1)[0].strip()
        if line.startswith("["):
            section = line[1:line.index("]")]
        elif "=" in line:
            key, _, value = line.partition("=")
            found.append((section, key.strip(), value.lstrip(">").strip()))
    return found


def ami_user() -> list[tuple[str, str]]:
    return [(key, value) for section, key, value in conf_lines(CONFIG / "manager.conf")
            if section == "cc"]


def classes(key: str) -> set[str]:
    (value,) = [value for name, value in ami_user() if name == key]
    return {name.strip() for name in value.split(",")}


def actions_sent() -> set[str]:
    """Every AMI action the platform's code names (the simulator is not the platform)."""
    sources = [p for p in (ROOT / "contactcenter").rglob("*.py") if "sim" not in p.parts]
    return {name for path in sources for name in
            re.findall(r"""["']Action["']\s*[,:]\s*["'](\w+)["']""", path.read_text())}


def test_the_ami_user_reads_the_classes_of_the_events_the_call_model_reads() -> None:
    read = CallModel().events_read
    unknown = read - EVENT_CLASS.keys()
    assert not unknown, f"look up the class of {unknown} in Asterisk's source, add it above"
    assert classes("read") == {EVENT_CLASS[event] for event in read}
    assert "reporting" not in classes("read")  # RTCPSent every 5 s per call, never read


def test_the_ami_user_writes_what_the_actions_need_never_system_and_nothing_spare() -> None:
    sent = actions_sent()
    assert {"Originate", "CoreShowChannels", "Getvar", "Hangup"} <= sent  # the scan works
    unknown = sent - ACTION_CLASSES.keys()
    assert not unknown, f"look up the write class of {unknown} in Asterisk's source"
    write = classes("write")
    for action in sent:
        assert not ACTION_CLASSES[action] or ACTION_CLASSES[action] & write, action
    assert not write & NEVER_WRITE
    for granted in write:  # each class is the only way for at least one action
        assert any(ACTION_CLASSES[a] and not ACTION_CLASSES[a] & (write - {granted})
                   for a in sent), f"write class {granted} is not needed"


def test_the_event_filters_pass_exactly_the_events_the_call_model_reads() -> None:
    filters = [(key, value) for key, value in ami_user() if key.startswith("eventfilter")]
    parsed = [dict(re.findall(r"(\w+)\(([^()]*)\)", key[len("eventfilter"):])) | {"=": value}
              for key, value in filters]
    assert all(f["action"] == "include" for f in parsed)
    assert {f["name"] for f in parsed} == CallModel().events_read
    assert len(parsed) == len(CallModel().events_read)
    narrowed = [f for f in parsed if f.get("header") or f["="]]
    # the call model reads only CC_* variables (cti/calls.py _varset)
    assert narrowed == [{"action": "include", "name": "VarSet", "header": "Variable",
                         "method": "starts_with", "=": "CC_"}]


def test_the_readme_gives_the_reason_for_every_granted_class() -> None:
    readme = (CONFIG / "README.md").read_text()
    rows = set(re.findall(r"^\| `(read|write)` \| `(\w+)` \|", readme, re.MULTILINE))
    granted = {("read", c) for c in classes("read")} | {("write", c) for c in classes("write")}
    assert rows == granted


@pytest.mark.parametrize("name", ["pjsip.conf", "sip.conf.loopback"])
def test_the_phone_configurations_land_in_contexts_of_the_dialplan_and_hold_no_secret(
        name: str) -> None:
    dialplan = {section for section, _key, _value in conf_lines(CONFIG / "extensions.conf")}
    settings = conf_lines(CONFIG / name)
    contexts = {value for _section, key, value in settings if key == "context"}
    assert contexts == {"from-pstn", "agents"} <= dialplan
    secrets = [value for _section, key, value in settings if key in ("password", "secret")]
    assert all(re.fullmatch(r"@[A-Z0-9_]+_SECRET@", value) for value in secrets), secrets


def test_every_pjsip_agent_registers_one_phone_under_its_own_name() -> None:
    settings = conf_lines(CONFIG / "pjsip.conf")
    agents = sorted({section for section, _k, _v in settings if re.fullmatch(r"agent\d+", section)})
    assert agents == ["agent101", "agent102"]
    for agent in agents:
        mine = {key: value for section, key, value in settings if section == agent}
        assert {mine["auth"], mine["aors"], mine["username"]} == {agent}, mine
        assert mine["password"] == f"@{agent.upper()}_SECRET@"
    aor = {key: value for section, key, value in settings if section == "agent-aor"}
    assert aor["max_contacts"] == "1"  # an offer rings one phone, never two that may answer
