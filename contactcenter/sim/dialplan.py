"""The project's dialplan (asterisk-config/extensions.conf) as data, and where Bridge()'s
options send a caller when the agent's leg leaves (main/features.c bridge_exec,
main/bridge_after.c). Pure: the channel model walks it, the simulator runs its applications.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

INBOUND_CONTEXT = "from-pstn"
WAIT_CONTEXT = "cc-wait"
FALLBACK_CONTEXT = "cc-fallback"  # a caller the platform never decided about: queued here
HOLD_CONTEXT = "cc-hold"
AGENT_HOLD_CONTEXT = "cc-hold-agent"
TRANSFER_CONTEXT = "cc-transfer"
CALLBACK_CONTEXT = "cc-callback"  # an agent leg that dials the customer back
AFTER_CALL_CONTEXT = "cc-after-call"  # Bridge(...,F(cc-after-call^<flow>^1)): a flow, then Hangup
AGENT_CONTEXT = "agents"
AGENT_BRIDGE_CONTEXT = "cc-agent"  # an originated agent leg: Bridge(${CC_PEER},${CC_BRIDGE_OPTS})
OVERFLOW_CONTEXTS = frozenset({"cc-voicemail", "cc-message"})
VARIABLE = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True)
class Location:
    """A dialplan position: context, extension, priority."""

    context: str
    exten: str
    priority: int

    def next(self) -> Location:
        return Location(self.context, self.exten, self.priority + 1)

    @classmethod
    def parse(cls, target: str, here: Location) -> Location | None:
        """``[[context,]exten,]priority`` relative to ``here``, as ast_parseable_goto reads it
        (numbers and ``+n``/``-n`` only; a label, which our dialplan has none of, fails)."""
        parts = [p.strip() for p in target.split(",")]
        if not 1 <= len(parts) <= 3 or not parts[-1]:
            return None
        context, exten = here.context, here.exten
        if len(parts) == 3:
            context, exten = parts[0] or context, parts[1] or exten
        elif len(parts) == 2:
            exten = parts[0] or exten
        priority = parts[-1]
        if priority[0] in "+-" and priority[1:].isdigit():
            number = here.priority + int(priority)
        elif priority.isdigit():
            number = int(priority)
        else:
            return None
        return cls(context, exten, number) if number > 0 else None


@dataclass(frozen=True)
class Step:
    """One priority: an application and its data (``${VAR}`` substituted when run). A GotoIf
    jumps to ``data`` when the channel variable ``condition`` is not empty
    (``$["${CC_QUEUE}" != ""]``), or, with ``if_empty``, when it is (``$["${X}" = ""]``).
    Set's data is ``NAME=value``."""

    application: str
    data: str = ""
    condition: str = ""
    if_empty: bool = False

    def taken(self, variables: Mapping[str, str]) -> bool:
        """Whether a GotoIf jumps."""
        return bool(variables.get(self.condition)) != self.if_empty


@dataclass(frozen=True)
class Context:
    steps: tuple[Step, ...]
    any_exten: bool = False  # a pattern (_X., _[a-z0-9].) rather than the ``s`` extension


class Dialplan:
    """extensions.conf of asterisk-config/, plus ``agi_contexts``: contexts whose priority 1
    runs that FastAGI flow and priority 2 goes back to music on hold, as ``[cc-announce]``.
    ``[cc-after-call]`` runs the flow its extension names, then hangs up. ``globals`` are
    its ``[globals]`` (``FALLBACK_QUEUE``: where ``[cc-fallback]`` queues a caller)."""

    def __init__(self, *, agi_base: str = "agi://127.0.0.1:4573", main_flow: str = "main",
                 agi_contexts: Mapping[str, str] | None = None,
                 dial_seconds: float = 30.0, fallback_queue: str = "operator") -> None:
        self.globals = {"FALLBACK_QUEUE": fallback_queue}

        def agi(flow: str, then: Step) -> Context:
            return Context((Step("AGI", f"{agi_base}/{flow}"), then), any_exten=True)

        back_to_wait = Step("Goto", f"{WAIT_CONTEXT},s,1")
        dial = Context((Step("Dial", f"SIP/carrier/${{EXTEN}},{int(dial_seconds)}"),
                        Step("Hangup")), any_exten=True)
        self.contexts: dict[str, Context] = {
            INBOUND_CONTEXT: Context((
                Step("NoOp", "inbound ${CALLERID(num)} -> ${EXTEN}"), Step("Answer"),
                Step("AGI", f"{agi_base}/{main_flow},${{EXTEN}}"),
                Step("GotoIf", f"{WAIT_CONTEXT},s,1", condition="CC_QUEUE"),
                Step("GotoIf", f"{FALLBACK_CONTEXT},s,1", condition="CC_IVR_END", if_empty=True),
                Step("Hangup")),
                any_exten=True),
            FALLBACK_CONTEXT: Context((
                Step("NoOp", "fallback queue for ${CHANNEL}: AGISTATUS=${AGISTATUS}"),
                Step("Set", "CC_CALL_ID=${UNIQUEID}"), Step("Set", "CC_QUEUE=${FALLBACK_QUEUE}"),
                Step("Set", "CC_ENTERED=${EPOCH}"), Step("Set", "CC_ENTRY=fallback-${UNIQUEID}"),
                Step("Set", "CC_IVR_PATH=fallback"), back_to_wait)),
            WAIT_CONTEXT: Context((Step("NoOp", "waiting in ${CC_QUEUE}"),
                                   Step("MusicOnHold", "default"), Step("Hangup"))),
            AFTER_CALL_CONTEXT: agi("${EXTEN}", Step("Hangup")),
            "cc-voicemail": Context((Step("VoiceMail", "${EXTEN}@contactcenter,u"),
                                     Step("Hangup")), any_exten=True),
            "cc-message": Context((Step("Playback", "contactcenter/${EXTEN}"), Step("Hangup")),
                                  any_exten=True),
            HOLD_CONTEXT: Context((Step("MusicOnHold", "default"),
                                   Step("GotoIf", f"{AFTER_CALL_CONTEXT},${{CC_AFTER_CALL}},1",
                                        condition="CC_AFTER_CALL"),
                                   Step("Hangup"))),
            AGENT_HOLD_CONTEXT: Context((Step("Wait", "3600"), Step("Hangup"))),
            TRANSFER_CONTEXT: dial,
            CALLBACK_CONTEXT: dial,
            AGENT_CONTEXT: Context((Step("Hangup"),), any_exten=True),
            AGENT_BRIDGE_CONTEXT: Context((Step("Bridge", "${CC_PEER},${CC_BRIDGE_OPTS}"),
                                           Step("Hangup"))),
        }
        for context, flow in (agi_contexts or {}).items():
            self.contexts[context] = agi(flow, back_to_wait)

    def step(self, at: Location) -> Step | None:
        """The step at ``at``; None where Asterisk finds no such extension or priority."""
        context = self.contexts.get(at.context)
        if context is None or not at.exten or (not context.any_exten and at.exten != "s"):
            return None
        if not 1 <= at.priority <= len(context.steps):
            return None
        return context.steps[at.priority - 1]

    def render(self, step: Step, at: Location, variables: Mapping[str, str]) -> str:
        """The AppData Asterisk reports: variables (the channel's, then the globals)
        substituted, a GotoIf's condition as 0/1 (``1?cc-wait,s,1``, ami-transcript.log at
        4.201)."""
        data = self._substitute(step.data, at, variables)
        if step.application == "GotoIf":
            return f"{int(step.taken(variables))}?{data}"
        return data

    def jump(self, step: Step, at: Location, variables: Mapping[str, str]) -> Location:
        """Where a Goto or GotoIf continues (a GotoIf not taken: next), its target's
        variables substituted (``cc-after-call,${CC_AFTER_CALL},1``)."""
        if step.application == "GotoIf" and not step.taken(variables):
            return at.next()
        return Location.parse(self._substitute(step.data, at, variables), at) or at.next()

    def _substitute(self, data: str, at: Location, variables: Mapping[str, str]) -> str:
        values = {**self.globals, "EXTEN": at.exten, **variables}
        return VARIABLE.sub(lambda m: values.get(m.group(1), ""), data)


@dataclass(frozen=True)
class BridgeOptions:
    """The options of Bridge(channel[,options]) that decide the caller's fate."""

    kill: bool = False          # x: hang the caller up when the agent leaves
    go_on: str | None = None    # F(context^exten^priority); "" for a bare F


def split_app_args(data: str) -> list[str]:
    """Arguments split at commas outside parentheses (ast_app_separate_args)."""
    args: list[str] = []
    current: list[str] = []
    depth = 0
    for char in data:
        if char == "," and depth == 0:
            args.append("".join(current))
            current = []
            continue
        if char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        current.append(char)
    args.append("".join(current))
    return args


def parse_bridge_data(data: str) -> tuple[str, BridgeOptions]:
    """``SIP/carrier-0000000d,F(cc-after-call^survey^1)`` into the channel and its options,
    as ast_app_parse_options reads them: one letter each, F and L and S with an argument in
    parentheses; letters Bridge() does not know are ignored."""
    channel, *rest = split_app_args(data)
    options = rest[0] if rest else ""
    kill, go_on, i = False, None, 0
    while i < len(options):
        letter = options[i]
        i += 1
        argument = ""
        if i < len(options) and options[i] == "(":
            end = options.find(")", i)
            end = len(options) if end < 0 else end
            argument, i = options[i + 1:end], end + 1
        if letter == "x":
            kill = True
        elif letter == "F":
            go_on = argument
    return channel.strip(), BridgeOptions(kill, go_on)


def after_bridge(options: BridgeOptions, caller_at: Location,
                 agent_at: Location) -> Location | None:
    """Where the caller goes once the agent's Bridge() ends it; None: hang up. As bridge_exec
    and ast_bridge_setup_after_goto: F wins over x; F(loc) is read relative to the agent's
    leg (``^`` stands for ``,``), a bare F is the agent leg's next priority; without F or x
    the caller goes on at the priority after the one it was pulled from (from
    ``[cc-announce]`` that is Goto(cc-wait,s,1): music on hold again)."""
    if options.go_on is not None:
        if not options.go_on:
            return agent_at.next()
        return Location.parse(options.go_on.replace("^", ","), agent_at)
    if options.kill:
        return None
    return caller_at.next()
