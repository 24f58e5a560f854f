"""Configuration: embedded defaults, TOML file, CC_* environment overrides, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from contactcenter.config import load_config
from contactcenter.errors import ConfigError


def test_defaults_need_no_file() -> None:
    config = load_config(None, env={})
    assert config.ami.host == "127.0.0.1"
    assert config.store.backend == "memory"
    assert config.database.url.startswith("sqlite:")


def test_file_then_environment_override(tmp_path: Path) -> None:
    path = tmp_path / "cc.toml"
    path.write_text('[ami]\nport = 6038\nsecret = "from-file"\n[store]\nbackend = "redis"\n')
    config = load_config(path, env={"CC_AMI_SECRET": "from-env", "CC_WEB_PORT": "9090"})
    assert config.ami.port == 6038
    assert config.ami.secret == "from-env"
    assert config.web.port == 9090
    assert config.store.backend == "redis"


def test_secret_is_not_in_repr() -> None:
    config = load_config(None, env={"CC_AMI_SECRET": "hunter2"})
    assert "hunter2" not in repr(config)


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("[ami]\nport = 'x'\n", {}, "[ami] port: expected int"),
        ("[nosuch]\na = 1\n", {}, "unknown section(s): nosuch"),
        ("[ami]\nprot = 1\n", {}, "[ami] unknown key(s): prot"),
        ("[ami\n", {}, "cc.toml"),
        ("", {"CC_FLOWS_WATCH": "maybe"}, "CC_FLOWS_WATCH: expected a boolean"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, text: str, env: dict, message: str) -> None:
    path = tmp_path / "cc.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env=env)
    assert message in str(info.value)


def test_sentinels_are_host_port_pairs_and_a_bad_one_is_named() -> None:
    config = load_config(None, {"CC_STORE_SENTINELS": "10.0.0.1:26379, [::1]:26380,"})
    assert config.store.sentinel_addresses == [("10.0.0.1", 26379), ("::1", 26380)]
    assert load_config(None, {}).store.sentinel_addresses == []  # redis_url itself
    bad = load_config(None, {"CC_STORE_SENTINELS": "10.0.0.1:26379,sentinel-b"})
    with pytest.raises(ConfigError, match="'sentinel-b' is not host:port"):
        bad.store.sentinel_addresses  # noqa: B018
