"""[store] backend = "redis": the whole platform runs its ACD on the Redis store."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from contactcenter.acd.agents import AgentState
from contactcenter.config import StoreConfig, load_config
from contactcenter.demo import run_demo
from contactcenter.errors import ConfigError, StoreError
from contactcenter.queue.backend import open_store
from contactcenter.queue.redis_store import RedisStore
from tests.conftest import free_port

FLOWS = str(Path(__file__).parents[2] / "flows")


async def test_the_demo_answers_calls_through_the_redis_store(tmp_path, redis_url) -> None:
    prefix = f"demo-{uuid.uuid4().hex}:"
    config = load_config(None, env={
        "CC_STORE_BACKEND": "redis", "CC_STORE_REDIS_URL": redis_url,
        "CC_STORE_KEY_PREFIX": prefix, "CC_AGI_PORT": str(free_port()),
        "CC_FLOWS_DIRECTORY": FLOWS, "CC_FLOWS_WATCH": "no",
        "CC_SPEECH_CACHE_DIR": str(tmp_path / "prompts"),
        "CC_DATABASE_URL": f"sqlite:///{tmp_path}/cc.db"})
    summary = await run_demo(config, headless=True, seconds=3.0, rate=6.0, seed=7)
    assert summary["offered"] > 0
    assert (summary["lost"], summary["double_offers"]) == (0, 0)
    store = RedisStore.from_url(redis_url, prefix=prefix)
    try:  # the agents lived in Redis under the prefix, and took calls from there
        states = {agent.state for agent in await store.agents()}
    finally:
        await store.close()
    assert states & {AgentState.OFFERED, AgentState.ON_CALL, AgentState.WRAP_UP}


async def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(ConfigError, match="'memcached'"):
        async with open_store(StoreConfig(backend="memcached"), {}):
            pass


async def test_an_unreachable_redis_fails_at_start() -> None:
    config = StoreConfig(backend="redis", redis_url=f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(StoreError, match="cannot reach Redis"):
        async with open_store(config, {}):
            pass
