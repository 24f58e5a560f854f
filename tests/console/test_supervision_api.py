"""The supervisor's hands on live calls over the whole platform and the simulator (real
AMI over TCP): listen, whisper, barge and stop through REST, the session audited for
admins; a waiting call moved and reprioritised, the act audited; "why this agent?" for
an offer. Agents get 403, bad bodies 400 with what is wrong, a missing CSRF token 403."""

from __future__ import annotations

import asyncio

from contactcenter.acd.events import CallQueued, MonitorEnded, MonitorStarted
from contactcenter.crm.users import Users
from tests.helpers import eventually

from .conftest import ADA, SUPERVISOR_PHONE, connected_call, next_event, signed_in


async def test_monitoring_by_rest_is_audited_and_refused_to_agents(live) -> None:
    with live.platform.bus.subscribe() as events:
        async with signed_in(live, "agent101") as agent, \
                signed_in(live, "supervisor") as sup, signed_in(live, "admin") as admin:
            call, leg = await connected_call(live, agent, events)
            status, _ = await agent.post("/api/monitoring", {"agent_id": "agent102",
                                                             "mode": "listen"})
            assert status == 403
            status, body = await sup.post("/api/monitoring", {"agent_id": "agent101",
                                                              "mode": "listen"})
            assert status == 409 and "no phone" in body["error"]
            await asyncio.to_thread(Users(live.platform.db).update, "supervisor",
                                    device=SUPERVISOR_PHONE)
            status, body = await sup.post("/api/monitoring", {"agent_id": "agent101",
                                                              "mode": "loud"})
            assert status == 400 and body["error"].startswith("mode: expected one of")
            async with sup.http.post("/api/monitoring", json={"agent_id": "agent101",
                                                              "mode": "listen"}) as forged:
                assert forged.status == 403  # no CSRF token

            status, body = await sup.post("/api/monitoring", {"agent_id": "agent101",
                                                              "mode": "listen"})
            assert (status, body["state"], body["mode"]) == (200, "ringing", "listen")
            await next_event(events, MonitorStarted)
            for mode in ("whisper", "barge"):
                status, body = await sup.post("/api/monitoring/mode", {"mode": mode})
                assert (status, body["mode"]) == (200, mode)
            (spy,) = live.sim.spies
            await eventually(lambda: spy.modes == ["listen", "whisper", "barge"])
            assert spy.spyee == leg
            assert (await sup.post("/api/monitoring/stop"))[0] == 200
            ended = await next_event(events, MonitorEnded)
            assert ended.reason == "stopped"
            assert live.sim.is_alive(call.channel)  # the call goes on

            async with sup.http.get("/api/monitoring/sessions") as refused:
                assert refused.status == 403  # the audit is the admins'
            rows: list[dict] = []

            async def audited() -> bool:
                async with admin.http.get("/api/monitoring/sessions") as response:
                    rows[:] = await response.json()
                return bool(rows)
            await until_async(audited)
    (row,) = rows
    assert (row["supervisor"], row["agent_id"], row["call_id"], row["reason"]) == \
        ("supervisor", "agent101", call.uniqueid, "stopped")
    assert [mode for mode, _ in row["modes"]] == ["listen", "whisper", "barge"]
    assert row["duration_s"] > 0


async def test_a_waiting_call_is_moved_and_reprioritised_and_the_act_audited(live) -> None:
    with live.platform.bus.subscribe() as events:
        async with signed_in(live, "supervisor") as sup, signed_in(live, "agent101") as agent:
            assert (await agent.post("/api/state", {"state": "login"}))[0] == 200
            assert (await agent.post("/api/state", {"state": "paused"}))[0] == 200
            call = live.sim.place_call(ADA)  # staffed, nobody available: it waits
            await next_event(events, CallQueued)
            path = f"/api/calls/{call.uniqueid}"
            assert (await agent.post(path, {"priority": 3}))[0] == 403
            for body, error in (({"priority": "high"}, "priority: expected a whole number"),
                                ({"reset_entry": "yes"}, "reset_entry: expected true or false"),
                                ({}, "nothing to change"),
                                ({"queue": "nowhere"}, "no queue 'nowhere'"),
                                ({"priority": 10**6}, "priority 1000000: expected")):
                status, answer = await sup.post(path, body)
                assert status == 400 and answer["error"].startswith(error), (body, answer)
            assert (await sup.post("/api/calls/no-such-call", {"priority": 1}))[0] == 409
            status, moved = await sup.post(path, {"queue": "sales", "priority": 5})
            assert (status, moved["queue"], moved["priority"]) == (200, "sales", 5)
            assert live.sim.pbx.channels[call.channel].variables["CC_QUEUE"] == "sales"
            acts: list[dict] = []

            async def audited() -> bool:
                async with sup.http.get("/api/calls/acts") as response:
                    acts[:] = await response.json()
                return bool(acts)
            await until_async(audited)
    (act,) = acts
    assert (act["actor"], act["entity_id"]) == ("supervisor", call.uniqueid)
    assert act["detail"] | {"entered_at": 0} == {
        "queue": "support", "to_queue": "sales", "priority": 0, "to_priority": 5,
        "reset_entry": False, "entered_at": 0}


async def test_why_this_agent_for_an_offer(live) -> None:
    with live.platform.bus.subscribe() as events:
        async with signed_in(live, "agent101") as agent, \
                signed_in(live, "supervisor") as sup:
            async with sup.http.get("/api/calls/nothing/why") as missing:
                assert missing.status == 404
            call, _leg = await connected_call(live, agent, events)
            found: list[dict] = []

            async def explained() -> bool:
                async with sup.http.get(f"/api/calls/{call.uniqueid}/why") as response:
                    if response.status == 200:
                        found[:] = (await response.json())["offers"]
                return bool(found)
            await until_async(explained)
    (offer,) = found
    why = offer["explanation"]
    assert (offer["agent_id"], why["agent_id"], why["queue"], why["penalty"]) == \
        ("agent101", "agent101", "support", 0)
    assert {"id": "agent102", "eligible": False, "why": "not available: logged_out"} in \
        why["agents"]


async def until_async(check) -> None:
    """Until `check()` (a coroutine function, asking the database) is true; fail after
    5 s."""
    for _ in range(100):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{check.__name__} still false after 5 s")
