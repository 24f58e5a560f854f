"""The AMI bridge over real TCP: each panoramisk 1.4 defect, call control and resync."""

from __future__ import annotations

import asyncio

import panoramisk.utils
import pytest

from contactcenter.cti.bridge import AmiBridge
from contactcenter.cti.events import CallArrived, LinkDown, Resynced
from contactcenter.errors import AmiError, UnsafeValueError
from contactcenter.events import EventBus
from tests.conftest import free_port
from tests.cti.conftest import FakeAsterisk, ami_config, newchannel
from tests.helpers import eventually, next_event

Bridge = tuple[AmiBridge, EventBus]


# -- UTF-8 split across reads -------------------------------------------------------------

async def test_a_utf8_character_split_across_reads_survives(asterisk: FakeAsterisk,
                                                            bridge: Bridge) -> None:
    _, bus = bridge
    data = newchannel("1.1", "SIP/carrier-1", name="Jürgen")
    cut = data.index("ü".encode()) + 1
    with bus.subscribe() as queue:
        asterisk.push(data[:cut])
        await asyncio.sleep(0.05)  # two TCP reads
        asterisk.push(data[cut:])
        arrived = await next_event(queue, CallArrived)
    assert arrived.caller_name == "Jürgen"


# -- a failing callback -------------------------------------------------------------------

async def test_a_failing_event_callback_keeps_the_link(asterisk: FakeAsterisk,
                                                       bridge: Bridge) -> None:
    ami, bus = bridge
    def explode(_manager: object, _event: object) -> None:
        raise RuntimeError("consumer bug")
    ami._manager.register_event("Newchannel", explode)
    with bus.subscribe() as queue:
        asterisk.push(newchannel("1.1", "SIP/carrier-1"))
        asterisk.push(newchannel("1.2", "SIP/carrier-2"))
        assert (await next_event(queue, CallArrived)).uniqueid == "1.1"
        assert (await next_event(queue, CallArrived)).uniqueid == "1.2"
    assert ami.connected
    await ami.hangup("SIP/carrier-0000000d")  # the link still carries actions


# -- login and timeouts ---------------------------------------------------------------------

async def test_a_wrong_secret_raises_on_start(asterisk: FakeAsterisk) -> None:
    ami = AmiBridge(ami_config(asterisk.port, secret="wrong"), EventBus())
    with pytest.raises(AmiError, match="Authentication failed"):
        async with ami:
            pass
    assert not ami.connected


async def test_an_unreachable_host_raises_on_start() -> None:
    with pytest.raises(AmiError, match="unreachable"):
        async with AmiBridge(ami_config(free_port()), EventBus()):
            pass


async def test_an_unanswered_action_times_out(asterisk: FakeAsterisk) -> None:
    async with AmiBridge(ami_config(asterisk.port, action_timeout=0.2), EventBus()) as ami:
        asterisk.silent.add("Getvar")
        with pytest.raises(AmiError, match="no reply"):
            await ami.get_variable("SIP/carrier-0000000d", "CC_QUEUE")
        assert ami.connected


async def test_an_error_response_raises(bridge: Bridge) -> None:
    ami, _ = bridge
    with pytest.raises(AmiError, match="No such channel"):
        await ami.hangup("SIP/nobody-00000001")


# -- reconnect never re-sends ---------------------------------------------------------------

async def test_a_pending_originate_fails_on_link_loss_and_is_never_resent(
        asterisk: FakeAsterisk, bridge: Bridge) -> None:
    ami, bus = bridge
    asterisk.silent.add("Originate")
    with bus.subscribe() as queue:
        pending = asyncio.create_task(ami.originate_bridge(
            device="SIP/agent101", caller_channel="SIP/carrier-0000000d", timeout_ms=10000,
            caller_id='"Ada Lovelace" <+14155550123>', call_id="call-1"))
        await eventually(lambda: len(asterisk.actions("Originate")) == 1)
        asterisk.drop()
        with pytest.raises(AmiError, match="lost"):
            await pending
        await next_event(queue, LinkDown)
        await next_event(queue, Resynced)
    assert asterisk.logins == 2
    await ami.set_variable("SIP/carrier-0000000d", "CC_QUEUE", "sales")
    assert len(asterisk.actions("Originate")) == 1


# -- CR/LF never reaches the socket ---------------------------------------------------------

@pytest.mark.parametrize("evil", ["evil\r\nAction: Hangup", "evil\nAction: Hangup", "evil\r"])
async def test_cr_or_lf_in_any_value_raises_before_sending(asterisk: FakeAsterisk,
                                                           bridge: Bridge, evil: str) -> None:
    ami, bus = bridge
    before = bytes(asterisk.raw)
    calls = [
        ami.originate_bridge(device="SIP/agent101", caller_channel="SIP/carrier-0000000d",
                             timeout_ms=3000, caller_id=evil, call_id="call-1"),
        ami.originate_bridge(device="SIP/agent101", caller_channel="SIP/carrier-0000000d",
                             timeout_ms=3000, caller_id="x", call_id="call-1",
                             variables={"CC_FIELDS": evil}),
        ami.hangup(evil),
        ami.redirect("SIP/carrier-0000000d", evil, "s"),
        ami.set_variable("SIP/carrier-0000000d", "CC_QUEUE", evil),
        ami.set_variable("SIP/carrier-0000000d", evil, "x"),
        ami.get_variable(evil, "CC_QUEUE"),
    ]
    for call in calls:
        with pytest.raises(UnsafeValueError):
            await call
    await ami.hangup("SIP/carrier-0000000d")
    assert bytes(asterisk.raw)[len(before):].count(b"Action: ") == 1  # only the Hangup
    # the refused Originates left no expectation behind to claim the device's next channel
    with bus.subscribe() as queue:
        asterisk.push(newchannel("9.9", "SIP/agent101-00000042"))
        assert (await next_event(queue, CallArrived)).uniqueid == "9.9"


# -- the Originate's bytes, and panoramisk.testing's global line ending ---------------------

async def test_originate_bytes_match_the_transcript_even_with_testing_eol(
        asterisk: FakeAsterisk, bridge: Bridge, monkeypatch: pytest.MonkeyPatch) -> None:
    """panoramisk.testing.Manager() sets utils.EOL = '\\n' for the whole process; we do the
    same here (without importing it) and the bridge still speaks CRLF."""
    monkeypatch.setattr(panoramisk.utils, "EOL", "\n")
    ami, bus = bridge
    start = len(asterisk.raw)
    with bus.subscribe() as queue:
        action_id = await ami.originate_bridge(
            device="SIP/agent102", caller_channel="SIP/carrier-0000000d", timeout_ms=3000,
            caller_id='"Ada Lovelace" <+14155550123>', call_id="call-1")
        sent = bytes(asterisk.raw[start:])
        assert sent == (  # transcript row at 8.333, ActionID aside, run in [cc-agent]
            # (so a Redirect moves the leg), with Bridge's options: x hangs the caller up
            # after the agent, T lets the agent's leg transfer
            b"Action: Originate\r\nActionID: " + action_id.encode() + b"\r\n"
            b"Channel: SIP/agent102\r\nContext: cc-agent\r\nExten: s\r\nPriority: 1\r\n"
            b"Timeout: 3000\r\nCallerID: \"Ada Lovelace\" <+14155550123>\r\nAsync: true\r\n"
            b"Variable: CC_CALL_ID=call-1\r\nVariable: CC_PEER=SIP/carrier-0000000d\r\n"
            b"Variable: CC_BRIDGE_OPTS=xT\r\n\r\n")
        asterisk.push(newchannel("1795412920.15", "SIP/agent102-0000000e"))
        asterisk.push(newchannel("1795412999.1", "SIP/carrier-00000099"))
        arrived = await next_event(queue, CallArrived)
    assert arrived.uniqueid == "1795412999.1"  # the agent leg was not taken for a call
    assert ami.model.channels["1795412920.15"].call_id == "call-1"


# -- bad frames -----------------------------------------------------------------------------

async def test_garbage_truncated_and_huge_frames_are_skipped(
        asterisk: FakeAsterisk, bridge: Bridge, caplog: pytest.LogCaptureFixture) -> None:
    ami, bus = bridge
    with bus.subscribe() as queue:
        asterisk.push(b"\x00\xff garbage without headers\r\n\r\n")
        asterisk.push(b"Event: Hangup\r\nUniqueid\r\n\r\n")  # truncated: no values
        asterisk.push(b"Event: Newchannel\r\nCallerIDName: " + b"x" * (2 * 1024 * 1024))
        asterisk.push(b"\r\n\r\n")
        asterisk.push(newchannel("1.1", "SIP/carrier-1"))
        arrived = await next_event(queue, CallArrived, within=5.0)
    assert arrived.uniqueid == "1.1"
    assert ami.connected
    assert "dropped" in caplog.text and "skipped" in caplog.text


# -- resync ---------------------------------------------------------------------------------

async def test_every_reconnect_resyncs_channels_and_variables(asterisk: FakeAsterisk) -> None:
    bus = EventBus()
    with bus.subscribe() as queue:
        async with AmiBridge(ami_config(asterisk.port), bus, first_retry=0.01) as ami:
            first = await next_event(queue, Resynced)
            assert [c.variables for c in first.channels] == [
                {"CC_QUEUE": "support", "CC_CALL_ID": "call-1"}]
            # while the link is down a second caller arrives and the first one's queue
            # changes
            asterisk.channels["SIP/carrier-00000010"] = {"CC_QUEUE": "sales"}
            asterisk.uniqueids["SIP/carrier-00000010"] = "1795412934.18"
            asterisk.channels["SIP/carrier-0000000d"]["CC_QUEUE"] = "vip"
            asterisk.drop()
            await next_event(queue, LinkDown)
            again = await next_event(queue, Resynced)
    by_id = {c.uniqueid: c for c in again.channels}
    assert by_id["1795412934.18"].variables == {"CC_QUEUE": "sales"}
    assert by_id["1795412914.14"].variables["CC_QUEUE"] == "vip"
    assert set(ami.model.channels) == {"1795412914.14", "1795412934.18"}
    assert ami.model.channels["1795412934.18"].channel == "SIP/carrier-00000010"


async def test_reconnect_backs_off_while_asterisk_is_away() -> None:
    server = FakeAsterisk()
    await server.start()
    bus = EventBus()
    revived = FakeAsterisk()
    async with AmiBridge(ami_config(server.port), bus, first_retry=0.01) as ami:
        port = server.port
        await server.close()
        await eventually(lambda: not ami.connected)
        await asyncio.sleep(0.3)  # several failed attempts, capped at 0.2 s apart
        assert not ami.connected
        revived._server = await asyncio.start_server(revived._serve, "127.0.0.1", port)
        revived.port = port
        with bus.subscribe() as queue:
            await next_event(queue, Resynced)
        assert ami.connected
    await revived.close()


async def test_an_asterisk_that_goes_silent_is_dropped_and_reconnected(
        asterisk: FakeAsterisk) -> None:
    """A half-open link (no FIN, no replies) would otherwise look connected for ever."""
    bus = EventBus()
    with bus.subscribe() as queue:
        async with AmiBridge(ami_config(asterisk.port, action_timeout=0.2, check_seconds=0.1),
                             bus, first_retry=0.01) as ami:
            await next_event(queue, Resynced)
            asterisk.silent.add("CoreShowChannels")  # the periodic check gets no reply
            await next_event(queue, LinkDown, within=2.0)
            asterisk.silent.clear()
            await next_event(queue, Resynced, within=2.0)
            assert ami.connected and asterisk.logins >= 2
