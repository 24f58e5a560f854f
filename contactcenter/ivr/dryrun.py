"""Dry runs: one flow walked with scripted answers, no PBX. `flows simulate` prints the
transcript and `flows test` compares the outcome with what the admin expects, so both
see exactly what the FastAGI runtime would do with the same answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from contactcenter.ivr import interpreter as ivr
from contactcenter.ivr.model import Flow
from contactcenter.ivr.steptypes import ENDINGS
from contactcenter.speech.recognizer import Recognition

FindCustomer = Callable[[str, str], dict[str, str] | None | bool]  # (by, value) as Lookup


@dataclass(frozen=True)
class Recording:
    """A scripted answer given as audio: the recogniser hears the file (8 kHz mono WAV)."""

    path: Path


Answer = str | Recognition | Recording | None
Hear = Callable[[ivr.Ask, Path], Recognition]
"""Runs the configured recogniser on a file, for the question asked (its grammar)."""


def fixture_crm(customers: Sequence[Mapping[str, object]]) -> FindCustomer:
    """Lookups answered from fixture customers ({name, phones, account, segment...}): a phone
    matches on its digits, an account exactly; the answer has the CRM lookup's keys."""
    def digits(number: object) -> str:
        return "".join(c for c in str(number) if c.isdigit())

    def find(by: str, value: str) -> dict[str, str] | None:
        for customer in customers:
            listed = customer.get("phones") or ()
            phones = [str(p) for p in listed] if isinstance(listed, list | tuple) \
                else [str(listed)]
            if (digits(value) in map(digits, phones) if by == "phone"
                    else str(customer.get("account", "")) == value):
                found = {k: str(v) for k, v in customer.items() if k != "phones"}
                return {**found, "phone": phones[0] if phones else ""}
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
    finish: ivr.Finish
    unused: tuple[Answer, ...]


def dry_run(flow: Flow, call: ivr.CallInfo, answers: Iterable[Answer], *,
            find: FindCustomer | None = None, flows: Mapping[str, Flow] | None = None,
            clock: Callable[[], float] = time.time, hear: Hear | None = None,
            min_confidence: float = ivr.MIN_CONFIDENCE) -> DryRun:
    """Walk `flow`: each Ask takes the next answer (keys such as "1001#", words said as
    text or a Recognition, a Recording that `hear` recognises, or None / "" for
    silence), `find` answers lookups, a goto to another flow takes it from `flows` (by name,
    as the registry does); prompts and commands all succeed."""
    run = ivr.FlowRun(flow, call, clock=clock, min_confidence=min_confidence)
    find = find or fixture_crm(())
    pending = list(answers)
    lines: list[str] = []
    heard: list[str] = []
    action: ivr.Action = run.start()
    while not isinstance(action, ivr.Finish):
        where = f"[{run.last_step}]"
        result: ivr.Result = True  # every prompt plays, every command succeeds
        if isinstance(action, ivr.Ask):
            answer = (pending.pop(0) if pending else None) or None
            result = _hear(action, answer, hear)
            heard.append(action.text)
            lines += [f"{where} asks: {action.text}", f"{where}   caller: {_said(answer, result)}"]
        elif isinstance(action, ivr.Lookup):
            result = find(action.by, action.value)
            lines.append(f"{where} looks up the customer by {action.by} {action.value}: "
                         f"{_found(result)}")
        elif isinstance(action, ivr.Jump):
            result = (flows or {}).get(action.flow)
            lines.append(f"{where} goes to flow {action.flow}"
                         f"{'' if result else ' (no such flow)'}")
        else:
            if isinstance(action, ivr.Play):
                heard.append(action.text)
            lines.append(f"{where} {_describe(action)}")
        action = run.resume(result)
    return DryRun(tuple(lines), tuple(run.path), tuple(heard), dict(run.vars), action,
                  tuple(pending))


def _hear(ask: ivr.Ask, answer: Answer, hear: Hear | None) -> ivr.Result:
    if not isinstance(answer, Recording):
        return answer
    if hear is None:
        raise ValueError(f"no recogniser for the audio answer {answer.path}")
    return hear(ask, answer.path)


def _said(answer: Answer, result: ivr.Result) -> str:
    """How the transcript shows the caller's answer."""
    if isinstance(result, Recognition):
        where = f"{answer.path.name}: " if isinstance(answer, Recording) else ""
        return f"says {result.text!r} ({where}confidence {result.confidence:.2f})"
    return str(result or "(nothing)")


def _describe(action: ivr.Action) -> str:
    if isinstance(action, ivr.Play):
        return f"{'says' if action.kind == 'say' else 'plays'}: {action.text}"
    if isinstance(action, ivr.SetVariable):
        return f"sets {action.name}={action.value}"
    if isinstance(action, ivr.Exec):
        return f"runs {action.app}({action.data})"
    return f"publishes {getattr(action, 'event', action)}"


def _found(result: ivr.Result) -> str:
    if result is False:
        return "the CRM failed"
    return f"found {result.get('name', '')}".rstrip() if isinstance(result, dict) else "unknown"


def describe_end(finish: ivr.Finish) -> str:
    """'queued in queue billing at step billing', for people reading a dry run: where the
    call went is told by the ending of the step type that finished it."""
    ending = ENDINGS.get(finish.outcome)
    where = ending.where(finish) if ending else ""
    reason = f" ({finish.reason})" if finish.reason else ""
    return f"{finish.outcome}{where} at step {finish.step}{reason}"
