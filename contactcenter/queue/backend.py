"""The queue store the [store] config section asks for, opened and closed in one place."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping

from contactcenter.acd.store import QueueStore
from contactcenter.config import StoreConfig
from contactcenter.errors import ConfigError, StoreError
from contactcenter.queue.memory_store import MemoryStore
from contactcenter.queue.redis_store import RedisStore
from contactcenter.queue_config import QueueDefinition


@contextlib.asynccontextmanager
async def open_store(config: StoreConfig,
                     queues: Mapping[str, QueueDefinition]) -> AsyncIterator[QueueStore]:
    """A memory store, or a Redis store (through its sentinels if [store] names any)
    checked reachable at start (its pool closed after)."""
    aging = {name: queue.aging_seconds for name, queue in queues.items()}
    if config.backend == "memory":
        yield MemoryStore(aging)
        return
    if config.backend != "redis":
        raise ConfigError(f"[store] backend {config.backend!r}: expected 'memory' or 'redis'")
    if sentinels := config.sentinel_addresses:
        store = RedisStore.from_sentinels(sentinels, config.sentinel_service, config.redis_url,
                                          prefix=config.key_prefix, aging=aging)
    else:
        store = RedisStore.from_url(config.redis_url, prefix=config.key_prefix, aging=aging)
    try:
        try:
            await store.ping()
        except StoreError as exc:
            raise StoreError(f"[store] cannot reach Redis: {exc}") from exc
        yield store
    finally:
        await store.close()
