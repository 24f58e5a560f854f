"""/metrics over real HTTP: scraped without a session from this machine, with the bearer
token when one is set, refused from elsewhere without one; over the simulator a real call
shows in the offer and pop latencies, the AMI link and the IVR sessions."""

from __future__ import annotations

from unittest import mock

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import make_mocked_request
from prometheus_client.parser import text_string_to_metric_families

from contactcenter.acd.events import CallConnected
from contactcenter.crm.database import Database
from tests.helpers import next_event

from .conftest import ADA, LivePlatform, console_server, signed_in


def values(text: str) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def test_prometheus_scrapes_from_this_machine_without_a_session(console) -> None:
    server, _bus, desk = console
    await desk.login("agent101")
    async with ClientSession(str(server.make_url(""))) as http, http.get("/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        found = values(await response.text())
    assert found[("cc_calls_waiting", (("queue", "support"),))] == 0
    assert found[("cc_agents", (("queue", "support"), ("state", "available")))] == 1
    assert found[("cc_agents", (("queue", "support"), ("state", "logged_out")))] == 1


async def test_with_a_token_only_its_bearer_may_scrape(db: Database) -> None:
    async with console_server(db, metrics_token="s3cret") as (server, _bus, _desk):
        async with ClientSession(str(server.make_url(""))) as http:
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
                async with http.get("/metrics", headers=headers) as response:
                    assert response.status == 401, headers
            async with http.get("/metrics",
                                headers={"Authorization": "Bearer s3cret"}) as response:
                assert response.status == 200
                assert "cc_part_up" in await response.text()


async def test_without_a_token_another_machine_is_refused(console) -> None:
    server, _bus, _desk = console
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda key, default=None: (
        ("192.0.2.7", 40000) if key == "peername" else default)
    request = make_mocked_request("GET", "/metrics", app=server.app, transport=transport)
    match = await server.app.router.resolve(request)
    with pytest.raises(web.HTTPForbidden) as refused:
        await match.handler(request)
    assert "metrics_token" in refused.value.text


async def test_a_simulated_call_shows_in_the_latencies_and_the_links(
        live: LivePlatform) -> None:
    async with signed_in(live, "agent101") as agent:
        async with agent.http.ws_connect("/ws"):  # the agent's page, where the pops go
            with live.platform.bus.subscribe() as events:
                assert (await agent.post("/api/state", {"state": "available"}))[0] == 200
                call = live.sim.place_call(ADA)
                await next_event(events, CallConnected, lambda e: e.call_id == call.uniqueid)
            async with agent.http.get("/metrics") as response:
                assert response.status == 200
                found = values(await response.text())
    assert found[("cc_offer_latency_seconds_count", ())] == 1
    assert found[("cc_offer_latency_seconds_sum", ())] < 1.0
    assert found[("cc_pop_latency_seconds_count", (("pop", "offer"),))] == 1
    assert found[("cc_pop_latency_seconds_count", (("pop", "record"),))] == 1
    assert found[("cc_part_up", (("part", "ami"),))] == 1
    assert found[("cc_ami_reconnects_total", ())] == 0
    assert found[("cc_ivr_sessions_total", (("flow", "main"), ("outcome", "queued")))] == 1
    assert found[("cc_fastagi_sessions", ())] == 0  # the IVR's session is over
    assert found[("cc_calls_waiting", (("queue", "support"),))] == 0
    assert found[("cc_agents", (("queue", "support"), ("state", "on_call")))] == 1
