"""Bare panoramisk 1.4 shows each defect that contactcenter/cti/ami.py works around, so the
fixes are known to be needed; the fixed behaviour is tested in test_bridge.py. If one of
these starts failing, panoramisk fixed the defect and our wrapper may shrink."""

from __future__ import annotations

import asyncio

import panoramisk.utils
import pytest
from panoramisk import Manager
from panoramisk.actions import Action
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from contactcenter.cti.frames import FrameReader
from tests.cti.conftest import FakeAsterisk, newchannel


class _Collect:
    def __init__(self) -> None:
        self.events: list[Message] = []

    def dispatch(self, message: Message) -> None:
        self.events.append(message)


def test_bare_panoramisk_drops_a_split_utf8_character() -> None:
    """The defect itself, so that the fix below is known to be needed."""
    data = newchannel("1.1", "SIP/carrier-1", name="Jürgen")
    cut = data.index("ü".encode()) + 1
    protocol = AMIProtocol()
    protocol.connection_made(None)
    protocol.factory = _Collect()
    protocol.data_received(data[:cut])
    protocol.data_received(data[cut:])
    assert protocol.factory.events[0]["CallerIDName"] == "Jrgen"


async def test_bare_action_values_are_not_escaped() -> None:
    raw = str(Action({"Action": "Originate", "CallerID": "evil\r\nAction: Hangup"}))
    assert "\r\nAction: Hangup\r\n" in raw  # a second action rides along


def test_bare_dispatch_lets_a_callback_exception_escape() -> None:
    manager = Manager()
    manager.callbacks.clear()
    manager.patterns.clear()

    def explode(_manager: object, _event: object) -> None:
        raise RuntimeError("consumer bug")

    manager.register_event("Newchannel", explode)
    with pytest.raises(RuntimeError):  # straight out of data_received: the link closes
        manager.dispatch(Message({"Event": "Newchannel"}))


async def test_bare_connect_ignores_a_wrong_secret(asterisk: FakeAsterisk) -> None:
    manager = Manager(host="127.0.0.1", port=asterisk.port, username="cc", secret="wrong",
                      ping_delay=3600, reconnect_timeout=3600,
                      loop=asyncio.get_running_loop())
    await manager.connect()  # no error: it completed on TCP connect
    assert not manager.authenticated
    manager.close()


def test_testing_eol_breaks_bare_parsing_but_not_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    """panoramisk.testing.Manager() sets utils.EOL = '\\n' process-wide (done here without
    importing it): bare parsing then keeps a CR in every value; FrameReader does not care."""
    monkeypatch.setattr(panoramisk.utils, "EOL", "\n")
    frame = newchannel("1.1", "SIP/carrier-1")
    bare = Message.from_line(frame.decode().strip())
    assert bare is not None and bare["Uniqueid"] == "1.1\r"
    ours = FrameReader().feed(frame)
    assert ours[0]["Uniqueid"] == "1.1"
