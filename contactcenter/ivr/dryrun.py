"""Dry runs: one flow walked with scripted answers, no PBX. `flows simulate` prints the
transcript and `flows test` compares the outcome with what the admin expects, so both
see exactly what the FastAGI runtime would do with the same answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from contactcenter.ivr.flow import Flow
from contactcenter.ivr.interpreter import (
    Action,
    Ask,
    CallInfo,
    Exec,
    Finish,
    FlowRun,
    Lookup,
    Play,
    Publish,
    Result,
    SetVariable,
)

FindCustomer = Callable[[str, str], dict[str, str] | None | bool]  # (by, value) as Lookup


def fixture_crm(customers: Sequence[Mapping[str, object]]) -> FindCustomer:
    """Lookups answered from fixture customers ({name, phones, account, segment...}): a phone
    matches on its digits, an account exactly; the answer has the CRM lookup's keys."""
    def digits(number: object) -> str:
        return "".join(c for c in str(number) if c.isdigit())

    def find(by: str, value: str) -> dict[str, str] | None:
        for customer in customers:
            phones = [digits(p) for p in customer.get("phones") or ()]  # type: ignore[union-attr]
            if (digits(value) in phones if by == "phone"
                    else str(customer.get("account", "")) == value):
                found = {k: str(v) for k, v in customer.items() if k != "phones"}
                return {**found, "phone": str((customer.get("phones") or [""])[0])}  # type: ignore[index]
        return None
    return find


def crm_down(by: str, value: str) -> bool:
    """A CRM that cannot be reached: every lookup takes the step's error path."""
    return False


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
            find: FindCustomer | None = None,
            clock: Callable[[], float] = time.time) -> DryRun:
    """Walk `flow`: each Ask takes the next answer (keys such as "1001#", a spoken phrase,
    or None / "" for silence), `find` answers lookups; prompts and commands all succeed."""
    run = FlowRun(flow, call, clock=clock)
    find = find or fixture_crm(())
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
        elif isinstance(action, Publish):
            lines.append(f"{where} publishes {action.event}")
        elif isinstance(action, Lookup):
            result: Result = find(action.by, action.value)
            lines.append(f"{where} looks up the customer by {action.by} {action.value}: "
                         f"{_found(result)}")
            action = run.resume(result)
            continue
        action = run.resume(True)
    return DryRun(tuple(lines), tuple(run.path), tuple(heard), dict(run.vars), action,
                  tuple(pending))


def _found(result: Result) -> str:
    if result is False:
        return "the CRM failed"
    return f"found {result.get('name', '')}".rstrip() if isinstance(result, dict) else "unknown"


def describe_end(finish: Finish) -> str:
    """'queued in queue billing at step billing', for people reading a dry run."""
    where = {"queued": f" in queue {finish.queue}", "transferred": f" to {finish.target}",
             "voicemail": f" in {finish.target}",
             "callback": f" to {finish.target} from queue {finish.queue}"}
    return f"{finish.outcome}{where.get(finish.outcome, '')} at step {finish.step}"
