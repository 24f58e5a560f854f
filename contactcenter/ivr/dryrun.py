"""Dry runs: one flow walked with scripted answers, no PBX. `flows simulate` prints the
transcript and `flows test` compares the outcome with what the admin expects, so both
see exactly what the FastAGI runtime would do with the same answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from contactcenter.ivr.flow import Flow
from contactcenter.ivr.interpreter import (
    Action,
    Ask,
    CallInfo,
    Exec,
    Finish,
    FlowRun,
    Play,
    SetVariable,
)


@dataclass(frozen=True)
class DryRun:
    """What one scripted call did. `unused` are answers the flow never asked for."""

    transcript: tuple[str, ...]
    path: tuple[str, ...]
    heard: tuple[str, ...]
    variables: dict[str, str]
    finish: Finish
    unused: tuple[str | None, ...]


def dry_run(flow: Flow, call: CallInfo, answers: Iterable[str | None], *,
            clock: Callable[[], float] = time.time) -> DryRun:
    """Walk `flow`: each Ask takes the next answer (keys such as "1001#", a spoken phrase,
    or None / "" for silence); prompts and commands all succeed."""
    run = FlowRun(flow, call, clock=clock)
    pending = list(answers)
    lines: list[str] = []
    heard: list[str] = []
    action: Action = run.start()
    while not isinstance(action, Finish):
        where = f"[{run.last_step}]"
        if isinstance(action, Ask):
            answer = pending.pop(0) if pending else None
            heard.append(action.text)
            lines += [f"{where} asks: {action.text}",
                      f"{where}   caller: {answer if answer else '(nothing)'}"]
            action = run.resume(answer or None)
            continue
        if isinstance(action, Play):
            heard.append(action.text)
            lines.append(f"{where} {'says' if action.kind == 'say' else 'plays'}: {action.text}")
        elif isinstance(action, SetVariable):
            lines.append(f"{where} sets {action.name}={action.value}")
        elif isinstance(action, Exec):
            lines.append(f"{where} runs {action.app}({action.data})")
        action = run.resume(True)
    return DryRun(tuple(lines), tuple(run.path), tuple(heard), dict(run.vars), action,
                  tuple(pending))


def describe_end(finish: Finish) -> str:
    """'queued in queue billing at step billing', for people reading a dry run."""
    where = {"queued": f" in queue {finish.queue}", "transferred": f" to {finish.target}"}
    return f"{finish.outcome}{where.get(finish.outcome, '')} at step {finish.step}"
