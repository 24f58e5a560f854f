"""Prometheus figures of one platform process, for the console's /metrics (docs/monitoring.md).

What is true now is read at each scrape (`observe_board`: calls waiting, the longest wait
and agents by state per queue, from the distributor's wallboard; FastAGI sessions open and
database writes kept, from their owners). What happens in between is counted from the bus:

- offer latency (cc_offer_latency_seconds): from the moment a call could have been offered
  (it was in the queue and the agent it went to was available: the later of the two) to
  the CallOffered; the time the ACD took to route it. OfferLatency measures it, pure.
- pop latency (cc_pop_latency_seconds{pop}): from CallOffered to the pop written to the
  agent's page; pop="offer" for the pop of the offer itself (caller, IVR answers), "record"
  for the CRM's record that follows (agent_console/pops.py observes both).
- the AMI link (cc_part_up{part="ami"}, cc_ami_reconnects_total: a PartUp after a PartDown),
  the store and the database (cc_part_up), store errors (cc_store_errors_total: each
  PartDown the ACD reports for the store), IVR sessions ended by flow and outcome
  (cc_ivr_sessions_total, from IvrFinished).

Each PlatformMetrics has its own registry, so several in one process (tests) never clash.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import assert_never

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from contactcenter.acd.agents import AgentState
from contactcenter.acd.events import AgentStateChanged, CallOffered, CallQueued
from contactcenter.events import BusConsumer, EventBus
from contactcenter.health import AMI, DATABASE, STORE, HealthEvent, PartDown, PartUp
from contactcenter.ivr.events import IvrFinished

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
KEPT = 10_000  # calls and agents whose readiness OfferLatency remembers


class OfferLatency:
    """When each call and agent became ready to be paired; CallOffered -> the latency."""

    def __init__(self) -> None:
        self._calls: OrderedDict[str, float] = OrderedDict()  # call -> joined its queue
        self._agents: OrderedDict[str, float] = OrderedDict()  # agent -> became available

    def record(self, event: CallQueued | AgentStateChanged | CallOffered) -> float | None:
        """The offer latency of a CallOffered (never below 0), else None."""
        match event:
            case CallQueued():
                _keep(self._calls, event.call_id, event.entered_at)
            case AgentStateChanged(state=AgentState.AVAILABLE):
                _keep(self._agents, event.agent_id, event.at)
            case AgentStateChanged():
                pass
            case CallOffered():
                ready = max(self._calls.pop(event.call_id, event.entered_at),
                            self._agents.pop(event.agent_id, 0.0))
                return max(0.0, event.at - ready)
            case _:
                assert_never(event)
        return None


def _keep(memory: OrderedDict[str, float], key: str, at: float) -> None:
    memory[key] = at
    memory.move_to_end(key)
    if len(memory) > KEPT:
        memory.popitem(last=False)


# what /metrics counts off the bus (the queue figures are read from the distributor)
Exported = CallQueued | AgentStateChanged | CallOffered | HealthEvent | IvrFinished


class PlatformMetrics(BusConsumer[Exported]):
    """`async with PlatformMetrics(bus):` counts the bus's events until closed."""

    def __init__(self, bus: EventBus) -> None:
        self.registry = registry = CollectorRegistry()
        self.calls_waiting = Gauge("cc_calls_waiting", "Calls waiting in the queue now "
                                   "(ringing an agent included)", ["queue"], registry=registry)
        self.longest_wait = Gauge("cc_longest_wait_seconds", "The longest wait in the queue "
                                  "now", ["queue"], registry=registry)
        self.agents = Gauge("cc_agents", "Agents serving the queue, by state now",
                            ["queue", "state"], registry=registry)
        self.offer_latency = Histogram("cc_offer_latency_seconds", "From a call and its agent "
                                       "both ready to the offer", buckets=LATENCY_BUCKETS,
                                       registry=registry)
        self.pop_latency = Histogram("cc_pop_latency_seconds", "From the offer to the pop on "
                                     "the agent's page: offer (at once) or record (the CRM's)",
                                     ["pop"], buckets=LATENCY_BUCKETS, registry=registry)
        self.part_up = Gauge("cc_part_up", "1 while the part answers, 0 while it is down",
                             ["part"], registry=registry)
        self.ami_reconnects = Counter("cc_ami_reconnects", "AMI links restored after a loss",
                                      registry=registry)
        self.store_errors = Counter("cc_store_errors", "Queue store failures the ACD met",
                                    registry=registry)
        self.ivr_sessions = Counter("cc_ivr_sessions", "IVR sessions ended, by flow and "
                                    "outcome", ["flow", "outcome"], registry=registry)
        self.fastagi_sessions = Gauge("cc_fastagi_sessions", "FastAGI sessions open now",
                                      registry=registry)
        self.spool_pending = Gauge("cc_database_writes_kept", "Database writes waiting in the "
                                   "spool (they grow while the database is down)",
                                   registry=registry)
        for part in (AMI, STORE, DATABASE):
            self.part_up.labels(part).set(1 if part != AMI else 0)  # AMI: until it links
        self._latency = OfferLatency()
        self._ami = "never"  # never linked | up | lost (linked once, down now)
        super().__init__(bus, self._handle, "prometheus-metrics")

    def watch(self, *, fastagi_sessions: Callable[[], float] | None = None,
              writes_kept: Callable[[], float] | None = None) -> None:
        """Read these at each scrape (the FastAGI server's sessions, the spool's writes)."""
        if fastagi_sessions is not None:
            self.fastagi_sessions.set_function(fastagi_sessions)
        if writes_kept is not None:
            self.spool_pending.set_function(writes_kept)

    def observe_pop(self, pop: str, seconds: float) -> None:
        self.pop_latency.labels(pop).observe(max(0.0, seconds))

    def observe_board(self, board: Mapping[str, object]) -> None:
        """The wallboard's per-queue figures now (Distributor.wallboard())."""
        queues = board.get("queues", {})
        assert isinstance(queues, Mapping)
        for name, figures in queues.items():
            self.calls_waiting.labels(name).set(figures["waiting"])
            self.longest_wait.labels(name).set(figures["longest_wait_s"])
            for state, count in figures["agents"].items():
                self.agents.labels(name, state).set(count)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    async def _handle(self, event: Exported) -> None:
        self.record(event)

    def record(self, event: Exported) -> None:
        match event:
            case CallQueued() | AgentStateChanged() | CallOffered():
                if (latency := self._latency.record(event)) is not None:
                    self.offer_latency.observe(latency)
            case PartDown():
                self.part_up.labels(event.part).set(0)
                if event.part == STORE:
                    self.store_errors.inc()
                elif event.part == AMI and self._ami == "up":
                    self._ami = "lost"
            case PartUp():
                self.part_up.labels(event.part).set(1)
                if event.part == AMI:
                    if self._ami == "lost":  # the first link is no reconnect
                        self.ami_reconnects.inc()
                    self._ami = "up"
            case IvrFinished():
                self.ivr_sessions.labels(event.flow, event.outcome).inc()
            case _:
                assert_never(event)
