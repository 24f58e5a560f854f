"""Every IVR step type, defined once: the registry that the loader and checker (ivr/flow.py),
the interpreter (through each step's type), the dry run (ivr/dryrun.py) and the JSON Schema
(ivr/flowschema.py) all read. A new step type is a StepType (steptype.py) in one of these
modules and one line in STEP_TYPES; the type checker and tests/ivr/test_steptypes.py follow.

One module per family of steps rather than per type: the types of a family share helpers
(menu and language one choice loop, queue and callback one queue check and the screen-pop
fields), which then sit beside their only users; a type with much of its own (ask, collect,
goto) has a module to itself. Pure, like the interpreter: no awaits, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from contactcenter.ivr.steptypes.ask import ASK
from contactcenter.ivr.steptypes.collect import COLLECT
from contactcenter.ivr.steptypes.decisions import BRANCH, HOURS_STEP, LOOKUP, SET
from contactcenter.ivr.steptypes.endings import (
    CALLBACK_STEP,
    HANGUP,
    QUEUE,
    TRANSFER,
    VOICEMAIL_STEP,
)
from contactcenter.ivr.steptypes.goto import GOTO
from contactcenter.ivr.steptypes.menus import LANGUAGE_STEP, MENU
from contactcenter.ivr.steptypes.prompts import PLAY, SAY
from contactcenter.ivr.steptypes.steptype import COUNT, Ending, StepType

STEP_TYPES: Mapping[str, StepType] = MappingProxyType({t.name: t for t in (
    SAY, PLAY, MENU, ASK, COLLECT, SET, BRANCH, HOURS_STEP, LOOKUP, LANGUAGE_STEP, QUEUE,
    VOICEMAIL_STEP, CALLBACK_STEP, TRANSFER, HANGUP, GOTO)})
"""By name, in the order error messages list them."""

COUNTS = tuple(dict.fromkeys(name for t in STEP_TYPES.values() for name, schema in t.fields.items()
                             if schema.get("$ref") == COUNT["$ref"]))
"""Fields that are whole numbers >= 0; the checker holds any step's field of such a name to
it, whichever type it is in (an unknown field is reported as such too)."""

ENDINGS: Mapping[str, Ending] = MappingProxyType(
    {t.ending.outcome: t.ending for t in STEP_TYPES.values() if t.ending})
"""By Finish outcome: how a dry run says where a call that left the IVR went."""
