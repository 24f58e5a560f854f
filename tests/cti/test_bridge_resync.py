"""The resync's Getvars go out concurrently, bounded, and still read every value right."""

from __future__ import annotations

import asyncio

import pytest

from contactcenter.cti import variables as cc
from contactcenter.cti.bridge import RESYNC_CONCURRENCY, AmiBridge
from contactcenter.errors import AmiUnanswered
from contactcenter.events import EventBus
from tests.cti.conftest import FakeAsterisk, ami_config
from tests.helpers import eventually

CALLERS = 40


def park(asterisk: FakeAsterisk, count: int) -> None:
    for i in range(count):
        name = f"SIP/trunk-{i:08x}"
        asterisk.channels[name] = {cc.QUEUE: "support", cc.ENTERED: str(1000 + i),
                                   cc.CALL_ID: f"call-{i}"}
        asterisk.uniqueids[name] = f"1800000000.{i}"


async def test_resync_reads_every_variable_of_every_channel(asterisk: FakeAsterisk) -> None:
    park(asterisk, CALLERS)
    async with AmiBridge(ami_config(asterisk.port), EventBus()) as ami:
        channels = await ami.resync()
    by_id = {c.uniqueid: c.variables for c in channels}
    assert len(by_id) == CALLERS + 1
    for i in range(CALLERS):
        assert by_id[f"1800000000.{i}"] == {cc.QUEUE: "support", cc.ENTERED: str(1000 + i),
                                            cc.CALL_ID: f"call-{i}"}


async def test_getvars_are_in_flight_together_up_to_the_bound() -> None:
    """Asterisk holds every Getvar unanswered: a serial resync would have sent one."""
    asterisk = FakeAsterisk()
    park(asterisk, CALLERS)
    await asterisk.start()
    try:
        # entry's resync is answered
        async with AmiBridge(ami_config(asterisk.port, action_timeout=2.0), EventBus()) as ami:
            asterisk.silent.add("Getvar")
            asterisk.received.clear()
            resync = asyncio.create_task(ami.resync())
            await eventually(lambda: len(asterisk.actions("Getvar")) >= RESYNC_CONCURRENCY)
            await asyncio.sleep(0.1)  # no more than the bound go out while none is answered
            assert len(asterisk.actions("Getvar")) == RESYNC_CONCURRENCY
            resync.cancel()
            await asyncio.gather(resync, return_exceptions=True)
    finally:
        await asterisk.close()


async def test_a_resync_whose_getvars_go_unanswered_fails_rather_than_omit_channels() -> None:
    """A channel left out of the list reads as gone: its waiting call would be closed as
    abandoned while the caller waits. Only a channel Asterisk says is gone is left out."""
    asterisk = FakeAsterisk()
    park(asterisk, 2)
    await asterisk.start()
    try:
        async with AmiBridge(ami_config(asterisk.port, action_timeout=0.3), EventBus()) as ami:
            asterisk.silent.add("Getvar")  # a stalled Asterisk: no reply
            with pytest.raises(AmiUnanswered):
                await ami.resync()
            asterisk.silent.clear()
            del asterisk.channels["SIP/trunk-00000001"]  # listed, then gone: "No such channel"
            asterisk.ghosts.add("SIP/trunk-00000001")
            assert {c.channel for c in await ami.resync()} == set(asterisk.channels)
    finally:
        await asterisk.close()
