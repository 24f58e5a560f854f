"""Configuration: a TOML file with embedded defaults, overridden by CC_<SECTION>_<KEY>
environment variables (so secrets stay out of files and logs).

Example: CC_AMI_SECRET=... overrides [ami] secret; CC_STORE_BACKEND=redis.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contactcenter.errors import ConfigError


@dataclass(frozen=True)
class AmiConfig:
    host: str = "127.0.0.1"
    port: int = 5038
    username: str = "cc"
    secret: str = field(default="", repr=False)
    action_timeout: float = 5.0
    reconnect_max_delay: float = 10.0
    check_seconds: float = 15.0  # how often the live channels are compared with the ACD


@dataclass(frozen=True)
class AgiConfig:
    host: str = "127.0.0.1"
    port: int = 4573
    command_timeout: float = 300.0  # one reply (a prompt, a recording); then the peer is gone
    session_timeout: float = 3600.0  # one whole IVR session
    max_sessions: int = 4000  # simultaneous FastAGI connections; more are closed at once


@dataclass(frozen=True)
class WebConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    secret_key: str = field(default="", repr=False)
    origins: str = ""  # comma-separated origins besides the console's own (a proxy's name)
    https: bool = False  # served over HTTPS (behind a proxy): the session cookie is Secure
    metrics_token: str = field(default="", repr=False)  # /metrics: Bearer token; "": loopback only

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        return tuple(o.strip() for o in self.origins.split(",") if o.strip())


@dataclass(frozen=True)
class StoreConfig:
    backend: str = "memory"  # memory | redis
    redis_url: str = field(default="redis://127.0.0.1:6379/0", repr=False)  # may hold a password
    key_prefix: str = "cc:"  # platforms sharing one Redis share queues only with the same prefix
    lease_seconds: float = 10.0  # a process silent this long has its agents and offers adopted
    # host:port,... of Redis Sentinels: they name the primary (redis_url's host is unused,
    # its password and database are); "" connects to redis_url itself
    sentinels: str = ""
    sentinel_service: str = "contactcenter"  # the primary's name in the sentinels' config

    @property
    def sentinel_addresses(self) -> list[tuple[str, int]]:
        """The sentinels as (host, port); ConfigError names the entry that is not one."""
        addresses = []
        for entry in (e.strip() for e in self.sentinels.split(",") if e.strip()):
            host, _, port = entry.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ConfigError(f"[store] sentinels: {entry!r} is not host:port")
            addresses.append((host.strip("[]"), int(port)))
        return addresses


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = "sqlite:///var/contactcenter.db"


@dataclass(frozen=True)
class FlowsConfig:
    directory: str = "flows"
    watch: bool = True


@dataclass(frozen=True)
class SpeechConfig:
    cache_dir: str = "var/prompts"
    voice: str = ""
    engine: str = "auto"  # auto (vosk with a model, else pocketsphinx) | vosk | pocketsphinx | none
    vosk_model: str = ""  # the folder of a vosk model (am/, conf/, graph/)
    min_confidence: float = 0.5  # below it, what was heard is confirmed or asked again
    n_best: int = 3
    max_streams: int = 8  # recognitions at once; a caller finding them all taken uses keys
    workers: int = 2  # engine threads
    end_silence_ms: int = 700  # silence that ends the caller's turn
    max_speech_seconds: float = 15.0
    result_seconds: float = 2.0  # longest wait for a result after the caller stopped
    barge_in: bool = True  # the caller's speech stops the prompt
    audiosocket_host: str = "127.0.0.1"  # where the AudioSocket server listens
    audiosocket_port: int = 0  # 0: any free port (each EXEC AudioSocket names the one in use)
    audiosocket_advertise: str = ""  # the host Asterisk dials; default audiosocket_host


@dataclass(frozen=True)
class LogConfig:
    level: str = "INFO"
    format: str = "text"  # text | json


@dataclass(frozen=True)
class Config:
    ami: AmiConfig = field(default_factory=AmiConfig)
    agi: AgiConfig = field(default_factory=AgiConfig)
    web: WebConfig = field(default_factory=WebConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    flows: FlowsConfig = field(default_factory=FlowsConfig)
    speech: SpeechConfig = field(default_factory=SpeechConfig)
    log: LogConfig = field(default_factory=LogConfig)


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Defaults, then the TOML file (if any), then CC_* environment variables."""
    env = os.environ if env is None else env
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc
    sections = {}
    for section in dataclasses.fields(Config):
        cls = section.default_factory
        values = dict(data.pop(section.name, {}) or {})
        sections[section.name] = _build(cls, section.name, values, env, path)
    if data:
        raise ConfigError(f"{path}: unknown section(s): {', '.join(sorted(data))}")
    return Config(**sections)


def _build(cls: Any, name: str, values: dict[str, Any], env: Mapping[str, str], path: Any) -> Any:
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(values) - set(known)
    if unknown:
        raise ConfigError(f"{path}: [{name}] unknown key(s): {', '.join(sorted(unknown))}")
    for key, fld in known.items():
        env_name = f"CC_{name}_{key}".upper()
        if env_name in env:
            values[key] = _cast(env[env_name], fld.type, env_name)
        elif key in values:
            values[key] = _cast(values[key], fld.type, f"[{name}] {key}")
    return cls(**values)


def _cast(value: Any, type_name: Any, where: str) -> Any:
    kind = {"str": str, "int": int, "float": float, "bool": bool}[str(type_name)]
    if kind is bool and isinstance(value, str):
        lowered = value.strip().lower()
        if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
            raise ConfigError(f"{where}: expected a boolean, got {value!r}")
        return lowered in {"1", "true", "yes", "on"}
    try:
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: expected {kind.__name__}, got {value!r}") from exc
