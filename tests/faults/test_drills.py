"""Every fault drill of issue 10, small: the simulator and the platforms as real processes,
faults from outside, each call judged against the simulator's record, the CRM's rows and
the agents' consoles (tests/faults/harness.py). bench/drills.py runs them at size."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.drills import DRILLS, Drill
from tests.faults.harness import Traffic, make_crm, run_drill

TRAFFIC = Traffic(calls=20, seconds=4.0, agents=4, talk_seconds=1.0)


@pytest.fixture(scope="session")
def crm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("drill-crm") / "crm.db"
    make_crm(path, TRAFFIC.agents)
    return path


@pytest.fixture(scope="session")
def prompts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("drill-prompts")


@pytest.mark.timeout(90)
@pytest.mark.parametrize("drill", DRILLS, ids=[d.name for d in DRILLS])
async def test_no_caller_stranded_no_agent_stuck_nothing_offered_twice(
        drill: Drill, tmp_path: Path, crm: Path, prompts: Path) -> None:
    verdict = await run_drill(drill.name, drill.fault, tmp_path, TRAFFIC, redis=drill.redis,
                              prompts=prompts, crm=crm, platform_argv=drill.platform_argv,
                              evidence=drill.evidence, times=drill.times,
                              sentinel=drill.sentinel)
    assert verdict.passed, verdict.explain()
    assert verdict.calls == TRAFFIC.calls
