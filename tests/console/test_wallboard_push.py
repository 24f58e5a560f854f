"""The wallboard pushed over the console's websocket, over real HTTP: a supervisor's socket
gets the whole board on subscribing, then each change within a second of its event; a
burst of events is one board; an agent cannot subscribe; a socket that goes is forgotten."""

from __future__ import annotations

import asyncio
import json
import time

from aiohttp import WSMsgType

from contactcenter.acd.events import AgentStateChanged
from contactcenter.agent_console.app import PUSHER

from .conftest import logged_in

SUBSCRIBE = json.dumps({"type": "subscribe", "topic": "wallboard"})


async def next_board(ws, within: float = 5.0) -> dict:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(within):
        while True:
            message = await ws.receive()
            assert message.type == WSMsgType.TEXT, message
            data = json.loads(message.data)
            if data["type"] == "wallboard":
                return data["board"]


def state_of(board: dict, agent_id: str) -> str:
    return next(a["state"] for a in board["agents"] if a["agent_id"] == agent_id)


async def test_a_change_reaches_the_supervisor_within_a_second_of_its_event(console) -> None:
    server, bus, desk = console
    client, _ = await logged_in(server, "supervisor")
    try:
        ws = await client.ws_connect("/ws")
        await ws.send_str(SUBSCRIBE)
        first = await next_board(ws)
        assert state_of(first, "agent102") == "logged_out"  # the whole board at once
        assert set(first["queues"]) >= {"support"} and "agent_occupancy" in first
        with bus.subscribe() as events:
            await desk.login("agent102")
            published = next(e for e in _drain(events) if isinstance(e, AgentStateChanged))
        while state_of(await next_board(ws), "agent102") != "available":
            pass  # a refresh that left before the change
        received = time.time()
        assert received - published.at < 1.0  # from the event's publication to receipt
        await ws.close()
    finally:
        await client.close()


def _drain(events: asyncio.Queue[object]) -> list[object]:
    found = []
    while not events.empty():
        found.append(events.get_nowait())
    return found


async def test_a_burst_of_events_is_one_board_with_the_last_state(console) -> None:
    server, _bus, desk = console
    pusher = server.app[PUSHER]
    client, _ = await logged_in(server, "supervisor")
    try:
        ws = await client.ws_connect("/ws")
        await ws.send_str(SUBSCRIBE)
        await next_board(ws)
        sent = pusher.boards_sent
        for n in range(100):  # 200 agent state changes, as fast as the ACD can make them
            await desk.login("agent101")
            await desk.pause("agent101", f"break {n}")
        boards = [await next_board(ws)]
        while True:  # every board the burst brought, until none comes for a while
            try:
                boards.append(await next_board(ws, within=pusher.coalesce_s * 3))
            except TimeoutError:
                break
        assert len(boards) == pusher.boards_sent - sent <= 3
        row = next(a for a in boards[-1]["agents"] if a["agent_id"] == "agent101")
        assert (row["state"], row["reason"]) == ("paused", "break 99")
    finally:
        await client.close()


async def test_an_agent_cannot_subscribe_and_a_bad_request_is_answered(console) -> None:
    server, _bus, desk = console
    client, _ = await logged_in(server, "agent101")
    try:
        ws = await client.ws_connect("/ws")
        await ws.send_str("not json")
        assert "expected" in (await ws.receive_json(timeout=2))["error"]
        await ws.send_str(SUBSCRIBE)
        assert "supervisor role" in (await ws.receive_json(timeout=2))["error"]
        await desk.login("agent101")  # the agent's own state still comes
        message = await ws.receive_json(timeout=2)
        assert (message["type"], message["state"]) == ("state", "available")
        assert server.app[PUSHER].sockets == set()
    finally:
        await client.close()


async def test_a_closed_socket_is_forgotten_and_boards_go_on_without_changes(console) -> None:
    server, _bus, desk = console
    pusher = server.app[PUSHER]
    pusher.refresh_s = 0.3  # waiting times move on even when nothing happens
    client, _ = await logged_in(server, "supervisor")
    try:
        gone, stays = await client.ws_connect("/ws"), await client.ws_connect("/ws")
        for ws in (gone, stays):
            await ws.send_str(SUBSCRIBE)
            await next_board(ws)
        assert len(pusher.sockets) == 2
        await desk.login("agent102")  # the pusher's next wait has the short refresh
        await next_board(stays)
        await gone.close()
        await next_board(stays, within=2.0)  # a refresh, with no event at all
        assert len(pusher.sockets) == 1
    finally:
        await client.close()
