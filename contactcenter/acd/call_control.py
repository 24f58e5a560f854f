"""What the distributor needs from the PBX link (cti.bridge.AmiBridge provides it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class CallControl(Protocol):
    @property
    def connected(self) -> bool:
        """Whether the link to the PBX is up (no offer is placed while it is down)."""

    async def originate_bridge(self, *, device: str, caller_channel: str, timeout_ms: int,
                               caller_id: str, call_id: str, after_call: str = "",
                               variables: Mapping[str, str] | None = None) -> str: ...

    async def hangup(self, channel: str, cause: int = 16) -> None: ...

    async def redirect(self, channel: str, context: str, exten: str,
                       priority: int = 1) -> None: ...

    async def set_variable(self, channel: str, name: str, value: str) -> None: ...

    async def originate_callback(self, *, device: str, number: str, timeout_ms: int,
                                 caller_id: str, call_id: str) -> str: ...
