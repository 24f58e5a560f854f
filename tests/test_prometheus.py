"""Prometheus figures from plain events: offer latency (the later of call and agent ready,
to the offer), AMI link and reconnects, store errors, IVR sessions, the board's gauges."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from contactcenter.acd.agents import AgentState
from contactcenter.acd.events import AgentStateChanged, CallOffered, CallQueued
from contactcenter.events import EventBus
from contactcenter.health import AMI, DATABASE, STORE, PartDown, PartUp
from contactcenter.ivr.events import IvrFinished
from contactcenter.prometheus import OfferLatency, PlatformMetrics


def samples(metrics: PlatformMetrics) -> dict[tuple[str, tuple], float]:
    """(sample name, sorted labels) -> value, from the exposition text itself."""
    text = metrics.exposition().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def offered(call: str, agent: str, at: float, entered: float = 0.0) -> CallOffered:
    return CallOffered(call, agent, "support", at, entered_at=entered)


def test_offer_latency_counts_from_the_later_of_call_and_agent_ready() -> None:
    latency = OfferLatency()
    assert latency.record(AgentStateChanged("a", AgentState.AVAILABLE, "", None, 100.0)) is None
    assert latency.record(CallQueued("c1", "support", "+1", 130.0)) is None
    assert latency.record(offered("c1", "a", 130.05, 130.0)) == pytest.approx(0.05)  # agent idle
    latency.record(CallQueued("c2", "support", "+1", 140.0))
    latency.record(AgentStateChanged("a", AgentState.AVAILABLE, "", None, 200.0))
    assert latency.record(offered("c2", "a", 200.2, 140.0)) == pytest.approx(0.2)  # call waited
    # an agent whose availability this process never saw: from the call's entry
    assert latency.record(offered("c3", "b", 305.0, 300.0)) == pytest.approx(5.0)
    assert latency.record(offered("c4", "b", 300.0, 301.0)) == 0.0  # clocks apart: never < 0


def test_the_exposition_counts_what_the_bus_said() -> None:
    metrics = PlatformMetrics(EventBus())
    for event in (AgentStateChanged("a", AgentState.AVAILABLE, "", None, 100.0),
                  CallQueued("c1", "support", "+1", 100.5), offered("c1", "a", 100.52, 100.5),
                  PartUp(AMI, 1.0), PartDown(AMI, "link lost", 2.0),
                  PartDown(AMI, "refused", 3.0), PartUp(AMI, 4.0),  # one reconnect
                  PartDown(STORE, "timeout", 5.0), PartDown(STORE, "timeout", 6.0),
                  PartDown(DATABASE, "refused", 7.0),
                  IvrFinished("u1", "main", "v1", "queued", "support", ("menu",)),
                  IvrFinished("u2", "main", "v1", "queued", "support", ("menu",)),
                  IvrFinished("u3", "survey", "v1", "hangup", "thanks", ("rate",))):
        metrics.record(event)
    metrics.observe_pop("offer", 0.004)
    metrics.observe_pop("record", 0.3)
    found = samples(metrics)
    assert found[("cc_offer_latency_seconds_count", ())] == 1
    assert found[("cc_offer_latency_seconds_bucket", (("le", "0.025"),))] == 1
    assert found[("cc_offer_latency_seconds_bucket", (("le", "0.01"),))] == 0
    assert found[("cc_ami_reconnects_total", ())] == 1
    assert found[("cc_part_up", (("part", "ami"),))] == 1
    assert found[("cc_part_up", (("part", "database"),))] == 0
    assert found[("cc_store_errors_total", ())] == 2
    assert found[("cc_ivr_sessions_total", (("flow", "main"), ("outcome", "queued")))] == 2
    assert found[("cc_ivr_sessions_total", (("flow", "survey"), ("outcome", "hangup")))] == 1
    assert found[("cc_pop_latency_seconds_count", (("pop", "offer"),))] == 1
    assert found[("cc_pop_latency_seconds_bucket", (("le", "0.25"), ("pop", "record")))] == 0


def test_the_first_ami_link_is_no_reconnect_and_the_board_sets_the_gauges() -> None:
    metrics = PlatformMetrics(EventBus())
    metrics.record(PartDown(AMI, "refused", 1.0))  # the first connect failed
    metrics.record(PartUp(AMI, 2.0))
    metrics.watch(fastagi_sessions=lambda: 7, writes_kept=lambda: 3)
    metrics.observe_board({"queues": {"support": {
        "waiting": 4, "longest_wait_s": 61.5,
        "agents": {"available": 2, "on_call": 1, "paused": 0}}}})
    found = samples(metrics)
    assert found[("cc_ami_reconnects_total", ())] == 0
    assert found[("cc_calls_waiting", (("queue", "support"),))] == 4
    assert found[("cc_longest_wait_seconds", (("queue", "support"),))] == 61.5
    assert found[("cc_agents", (("queue", "support"), ("state", "on_call")))] == 1
    assert found[("cc_fastagi_sessions", ())] == 7
    assert found[("cc_database_writes_kept", ())] == 3
