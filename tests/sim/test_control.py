"""The standalone simulator (sim/control.py): its control API places traffic, reads the
record and injects the AMI faults a network or a stalled Asterisk would (reset, frozen,
refused); `python -m contactcenter.sim` runs it as its own process."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time

import pytest
from aiohttp.test_utils import TestClient, TestServer

from contactcenter.sim import PbxSimulator, ScriptedAgent
from contactcenter.sim.control import create_control_app
from tests.helpers import eventually
from tests.sim.conftest import RawAmi


@pytest.fixture
async def control(unused_port: int):
    """The control API over a simulator whose FastAGI is unreachable (callers fall back to
    the operator queue and wait there)."""
    async with PbxSimulator(agi_port=unused_port) as sim:
        client = TestClient(TestServer(create_control_app(sim)))
        await client.start_server()
        try:
            yield client, sim
        finally:
            await client.close()


async def test_callers_are_placed_and_the_record_says_where_they_are(control) -> None:
    client, sim = control
    response = await client.post("/calls", json={"callers": [
        {"number": "+14155550100", "patience": None},
        {"number": "+14155550101", "answers": ["2", None], "patience": 0.3}], "seconds": 0})
    assert response.status == 202
    await eventually(lambda: len(sim.waiting_in_moh()) == 1 and sim.stats.abandoned == 1, 5)
    record = await (await client.get("/record")).json()
    calls = {c["number"]: c for c in record["calls"]}
    assert (calls["+14155550100"]["phase"], calls["+14155550100"]["outcome"]) == (
        "waiting", None)
    assert calls["+14155550101"]["outcome"] == "abandoned"
    assert record["waiting_in_moh"] == [calls["+14155550100"]["uniqueid"]]
    assert (record["stats"]["offered"], record["double_offers"], record["busy_rings"],
            record["placing"]) == (2, 0, [], 0)
    assert [c["context"] for c in record["channels"]] == ["cc-wait"]


@pytest.mark.parametrize("body,error", [
    ({"callers": []}, "callers: expected a non-empty list"),
    ({"callers": [{"number": 5}]}, "callers[0].number: expected a string"),
    ({"callers": [{"answers": [1]}]}, "callers[0].answers: expected a list of keys"),
    ({"callers": [{"patience": -1}]}, "callers[0].patience: expected a number >= 0"),
    ({"callers": [{"voice": "x"}]}, "callers[0]: unknown field(s) voice"),
    ({"callers": [{}], "rate": 0}, "rate: expected a number > 0"),
    ({"callers": [{}], "seconds": "soon"}, "seconds: expected a number >= 0"),
])
async def test_bad_traffic_is_refused_and_nothing_is_placed(control, body, error) -> None:
    client, sim = control
    response = await client.post("/calls", json=body)
    assert response.status == 400
    assert (await response.json())["error"].startswith(error)
    assert sim.calls == []


async def test_agents_phones_are_configured_and_checked(control) -> None:
    client, sim = control
    response = await client.put("/agents", json={"SIP/agent101": {"answer_after": None,
                                                                  "talk_seconds": 2}})
    assert (response.status, await response.json()) == (200, {"agents": ["SIP/agent101"]})
    assert sim._agents["SIP/agent101"] == ScriptedAgent(answer_after=None, talk_seconds=2.0)
    response = await client.put("/agents", json={"SIP/agent102": {"ring": 1}})
    assert response.status == 400 and "SIP/agent102" not in sim._agents


async def ami(sim: PbxSimulator) -> RawAmi:
    link = await RawAmi.connect(sim.ami_port)
    await link.login()
    return link


async def ping(link: RawAmi, action_id: str) -> None:
    await link.send(f"Action: Ping\r\nActionID: {action_id}\r\n\r\n".encode())
    await link.until_response(action_id)


async def test_a_cut_resets_every_ami_connection(control) -> None:
    client, sim = control
    link = await ami(sim)
    assert (await client.post("/ami/cut")).status == 200
    with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
        await link.message()
    again = await ami(sim)  # new connections are taken at once
    await ping(again, "p1")
    await again.close()


async def test_a_frozen_link_answers_nothing_until_it_thaws_then_everything(control) -> None:
    client, sim = control
    link = await ami(sim)
    started = time.monotonic()  # before the freeze begins: it ends 0.6 s after that
    await client.post("/ami/freeze", json={"seconds": 0.6})
    await link.send(b"Action: Ping\r\nActionID: p1\r\n\r\n")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(link.reader.readuntil(b"\r\n\r\n"), 0.3)
    record = await (await client.get("/record")).json()
    assert record["ami"]["frozen"] and record["ami"]["sessions"] == 1
    await link.until_response("p1")  # the connection stayed up: the answer comes after
    assert time.monotonic() - started >= 0.6
    await link.close()


async def test_a_refused_link_resets_and_refuses_connections_for_a_while(control) -> None:
    client, sim = control
    link = await ami(sim)
    await client.post("/ami/refuse", json={"seconds": 0.5})
    with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
        await link.message()
    with pytest.raises(ConnectionRefusedError):
        await RawAmi.connect(sim.ami_port)
    assert (await (await client.get("/record")).json())["ami"]["refusing"]
    await asyncio.sleep(0.6)
    again = await ami(sim)  # the same port takes connections again
    await ping(again, "p2")
    await again.close()


async def test_the_simulator_runs_as_its_own_process(tmp_path, unused_port: int) -> None:
    config = tmp_path / "sim.toml"
    config.write_text('[ami]\nsecret = "s3cret"\n[log]\nlevel = "WARNING"\n')
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "contactcenter.sim", "--config", str(config), "--ami-port", "0",
        "--agi-port", str(unused_port), "--agent", "SIP/agent101",
        stdout=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None
        ready = json.loads(await asyncio.wait_for(proc.stdout.readline(), 20))
        assert ready["pid"] == proc.pid and ready["agi_port"] == unused_port
        link = await RawAmi.connect(ready["ami_port"])
        await link.login("s3cret")  # the configuration's AMI secret
        await link.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0
