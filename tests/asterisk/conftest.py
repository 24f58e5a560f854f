"""Fixtures for the real-Asterisk tests: a fresh Asterisk per test (tests/asterisk/harness.py),
a second AMI session that records what Asterisk says, SIPp phones, and the whole platform
(`open_platform`) with the shipped flows, a memory store and a seeded SQLite CRM.

A failing test shows Asterisk's own output (console and messages log) and SIPp's, after the
platform's log (captured at INFO)."""

from __future__ import annotations

import dataclasses
import logging
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from contactcenter.app import Platform, open_platform
from contactcenter.config import Config, load_config
from contactcenter.crm.database import Database
from contactcenter.crm.seed import seed
from contactcenter.events import EventBus
from tests.asterisk.harness import REPO, SECRET, Asterisk, Ports, asterisk_bin, asterisk_root
from tests.asterisk.sipp import Phones
from tests.asterisk.watch import AmiWatch, BusLog


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On failure, Asterisk's and SIPp's own output beside the test's."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    funcargs = getattr(item, "funcargs", {})
    if isinstance(pbx := funcargs.get("asterisk"), Asterisk):
        report.sections.append(("Asterisk's own output", pbx.output()))
    if isinstance(phones := funcargs.get("phones"), Phones) and phones.started:
        report.sections.append(("SIPp", phones.output()))


@pytest.fixture(autouse=True)
def platform_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="contactcenter")


@pytest.fixture
def asterisk() -> Iterator[Asterisk]:
    """A fresh Asterisk on free loopback ports, stopped after the test."""
    with asterisk_root() as root:
        pbx = Asterisk(asterisk_bin(), root, Ports())
        pbx.configure()
        pbx.start()
        try:
            yield pbx
        finally:
            pbx.stop()


@pytest.fixture
async def watch(asterisk: Asterisk) -> AsyncIterator[AmiWatch]:
    ami = AmiWatch(asterisk.ports.ami)
    await ami.start()
    await ami.command("agi set debug on")  # the AGI dialogue in Asterisk's log
    try:
        yield ami
    finally:
        await ami.close()


@pytest.fixture
def phones(asterisk: Asterisk) -> Iterator[Phones]:
    """The test's SIPp callers and phones, all stopped after it."""
    if shutil.which("sipp") is None:
        pytest.skip("sipp is missing (Debian package sip-tester; scripts/setup installs it "
                    "when ASTERISK_BIN is set)")
    workdir = asterisk.root / "sipp"
    workdir.mkdir()
    started = Phones(workdir, asterisk.ports)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="session")
def crm_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crm") / "seeded.db"
    db = Database.open(f"sqlite:///{path}")
    seed(db)
    db.close()
    return path


@pytest.fixture(scope="session")
def prompt_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One prompt cache for the session: each prompt is rendered once."""
    return tmp_path_factory.mktemp("prompts")


@pytest.fixture
def config(asterisk: Asterisk, crm_template: Path, prompt_cache: Path,
           tmp_path: Path) -> Config:
    """The platform's configuration for this Asterisk: its AMI and FastAGI ports, the
    shipped flows, a copy of the seeded CRM (agents 101-103 on SIP/agent10N)."""
    crm = tmp_path / "crm.db"
    shutil.copy(crm_template, crm)
    base = load_config(None, env={})
    return dataclasses.replace(
        base,
        ami=dataclasses.replace(base.ami, host="127.0.0.1", port=asterisk.ports.ami,
                                secret=SECRET),
        agi=dataclasses.replace(base.agi, host="127.0.0.1", port=asterisk.ports.agi),
        flows=dataclasses.replace(base.flows, directory=str(REPO / "flows"), watch=False),
        speech=dataclasses.replace(base.speech, cache_dir=str(prompt_cache)),
        database=dataclasses.replace(base.database, url=f"sqlite:///{crm}"))


@pytest.fixture
async def bus() -> AsyncIterator[BusLog]:
    async with BusLog(EventBus()) as log:
        yield log


@pytest.fixture
async def platform(config: Config, bus: BusLog) -> AsyncIterator[Platform]:
    """The whole platform (no web console) on this Asterisk; agents start logged out."""
    async with open_platform(config, bus=bus.bus, console=False) as running:
        yield running
