"""What a running process counts, for `GET /metrics` in Prometheus's text format.

Each process has its own registry (not prometheus-client's global one, so several servers in
one test process do not mix) and serves its own figures: scrape every process, as Prometheus
does with one target per instance. Labels are bounded sets (roles, event types, outcome
codes, route templates, media kinds), never ids, so the series stay few.

Under `covisor serve --workers N` the supervisor sets `PROMETHEUS_MULTIPROC_DIR` (a fresh
directory per start) before the workers import prometheus-client, which then keeps every value
in a file per process there; `exposition` reads them all (`MultiProcessCollector`), so whichever
worker answers `/metrics` answers the whole server's figures. Counters and histograms add up
over every worker that ran since the start (a dead worker's counts stay); gauges count live
workers only (the supervisor marks a dead one), `covisor_connections` per worker (a `pid`
label: the balance the kernel's `SO_REUSEPORT` hash made), the others summed.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

CONTENT_TYPE = CONTENT_TYPE_LATEST

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
"""The variable that puts prometheus-client in its multiprocess mode (read at its import)."""

_LATENCY = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_BATCH = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
_MEDIA_SECONDS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self._event_counts: dict[tuple[str, str], Any] = {}
        self._role_connections: dict[str, Any] = {}
        self.connections = Gauge(
            "covisor_connections",
            "Socket.IO connections open, by role",
            ["role"],
            registry=r,
            multiprocess_mode="liveall",
        )
        self.events = Counter(
            "covisor_events",
            "Socket.IO events answered, by event and outcome (ok or the error code)",
            ["event", "outcome"],
            registry=r,
        )
        self.rate_limited = Counter(
            "covisor_rate_limited", "Requests and events refused with rate_limited", registry=r
        )
        self.journal_round = Histogram(
            "covisor_journal_round_seconds",
            "Time of one journal commit: write (fsync), answer, relay",
            buckets=_LATENCY,
            registry=r,
        )
        self.journal_batch = Histogram(
            "covisor_journal_batch_size",
            "Commands decided into one journal commit",
            buckets=_BATCH,
            registry=r,
        )
        self.journal_queue = Gauge(
            "covisor_journal_queue",
            "Commands waiting for the journal to decide them",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.media_jobs = Gauge(
            "covisor_media_jobs",
            "Media jobs in this process, by state",
            ["state"],
            registry=r,
            multiprocess_mode="livesum",
        )
        self.media_seconds = Histogram(
            "covisor_media_job_seconds",
            "Time to take an upload from its first byte to ready, by kind",
            ["kind"],
            buckets=_MEDIA_SECONDS,
            registry=r,
        )
        self.media_shown_seconds = Histogram(
            "covisor_media_shown_seconds",
            "Time to take an upload from its first byte to shown (media.ready), by kind",
            ["kind"],
            buckets=_MEDIA_SECONDS,
            registry=r,
        )
        self.media_failures = Counter(
            "covisor_media_failures", "Uploads refused, by error code", ["reason"], registry=r
        )
        self.http = Histogram(
            "covisor_http_request_seconds",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            buckets=_LATENCY,
            registry=r,
        )
        self.redis_received = Counter(
            "covisor_redis_messages_received",
            "Messages from other processes taken off Redis: on the shared channel, or on the "
            "channel of a conversation or agent this process has members of",
            ["channel"],
            registry=r,
        )
        self.redis_errors = Counter(
            "covisor_redis_publish_errors", "Broadcasts Redis refused", registry=r
        )
        self.push_deliveries = Counter(
            "covisor_push_deliveries",
            "Web Push deliveries to push services, by outcome (sent, gone, refused, failed)",
            ["outcome"],
            registry=r,
        )
        self.webhook_deliveries = Counter(
            "covisor_webhook_deliveries",
            "Webhook delivery attempts, by outcome (delivered; retry: refused or unreachable, "
            "tried again later; failed: given up)",
            ["outcome"],
            registry=r,
        )
        self.emails = Counter(
            "covisor_emails",
            "E-mails handed to the SMTP server, by outcome (sent, failed)",
            ["outcome"],
            registry=r,
        )

    def event_answered(self, event: str, outcome: str) -> None:
        """Count one Socket.IO event; the labelled child is looked up once per pair (prometheus-
        client's `labels` builds and hashes a key on every call, at every stroke batch)."""
        key = (event, outcome)
        child = self._event_counts.get(key)
        if child is None:
            child = self._event_counts[key] = self.events.labels(event, outcome)
        child.inc()
        if outcome == "rate_limited":
            self.rate_limited.inc()

    def connections_of(self, role: str) -> Any:
        """The `connections` gauge of `role`, looked up once per role (as `event_answered`'s
        counters: a visitor connects and disconnects at every page view)."""
        child = self._role_connections.get(role)
        if child is None:
            child = self._role_connections[role] = self.connections.labels(role)
        return child

    def exposition(self) -> bytes:
        """This process's figures, or every worker's when `PROMETHEUS_MULTIPROC_DIR` is set."""
        directory = os.environ.get(MULTIPROC_DIR)
        if not directory:
            return generate_latest(self.registry)
        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=directory)  # type: ignore[no-untyped-call]
        return generate_latest(merged)
