"""What /metrics reads when it is scraped: every process's files, the broker, the database.

The gauges here are read fresh at each scrape (every 15 s or so), each with one cheap
question: the length of each queue (Redis LLEN; on the embedded filesystem broker, its
folder's message files), the reports in flight (an indexed count), and the open incidents
when the `alerts` app is installed. A source that does not answer leaves its gauge out
(and loopmonitor_broker_up says 0 for the broker): a scrape never fails for it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator

from django.apps import apps
from django.db import DatabaseError
from django.db.models import Count
from kombu.exceptions import ChannelError
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from loopmonitor.celery import app as celery_app
from loopmonitor.observability import multiproc

log = logging.getLogger(__name__)


class FilesCollector:
    """The counters and histograms every process wrote (multiproc.py)."""

    def collect(self) -> Iterator[Metric]:
        yield from multiproc.collect()


class QueueCollector:
    """Messages waiting in each queue the workers consume (not those a worker holds)."""

    def __init__(self, broker_url: str | None = None):
        self.broker_url = broker_url  # None: the Celery app's broker

    def queues(self) -> list[str]:
        declared = [queue.name for queue in celery_app.conf.task_queues or ()]
        return declared or [celery_app.conf.task_default_queue]

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "loopmonitor_queue_messages", "Task messages waiting in the broker's queue.", labels=["queue"]
        )
        up = GaugeMetricFamily("loopmonitor_broker_up", "1 if the broker answered this scrape, else 0.")
        try:
            with celery_app.connection_for_read(self.broker_url) as connection:
                connection.ensure_connection(max_retries=0)  # a scrape does not wait for a broker that is down
                channel = connection.default_channel
                for queue in self.queues():
                    depth.add_metric([queue], _queue_length(channel, queue))
        except Exception as exc:  # kombu raises many kinds: all mean "no answer"
            log.warning("metrics: the broker did not answer: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield depth


def _queue_length(channel, queue: str) -> int:
    try:
        return channel.queue_declare(queue=queue, passive=True).message_count
    except ChannelError:
        return 0  # Redis: a queue with no message has no key at all


class ReportsInFlightCollector:
    def collect(self) -> Iterator[Metric]:
        from reports.models import Report

        gauge = GaugeMetricFamily(
            "loopmonitor_reports_in_flight", "Reports pending or running now, by status.", labels=["status"]
        )
        try:
            counts = dict(
                Report.objects.filter(status__in=Report.IN_FLIGHT)
                .order_by()
                .values_list("status")
                .annotate(n=Count("pk"))
                .values_list("status", "n")
            )
        except DatabaseError as exc:
            log.warning("metrics: the database did not answer: %s", exc)
            return
        for status in Report.IN_FLIGHT:
            gauge.add_metric([status.lower()], counts.get(status, 0))
        yield gauge


class IncidentsCollector:
    """Open incidents of the alerts app (registered only where that app is installed): those with
    no end yet (`Incident.state` is "open"), which a partial index holds."""

    def collect(self) -> Iterator[Metric]:
        try:
            incident = apps.get_model("alerts", "Incident")
            count = incident.objects.filter(ended_at__isnull=True).count()
        except Exception as exc:  # a database down, or the alerts app changed: a scrape never fails for it
            log.warning("metrics: open incidents could not be counted: %s", exc)
            return
        gauge = GaugeMetricFamily("loopmonitor_incidents_open", "Incidents open now.")
        gauge.add_metric([], count)
        yield gauge


@functools.cache
def registry() -> CollectorRegistry:
    """The registry /metrics renders: built once per process, read afresh at each scrape."""
    built = CollectorRegistry(auto_describe=False)
    built.register(FilesCollector())
    built.register(QueueCollector())
    built.register(ReportsInFlightCollector())
    if any(config.label == "alerts" for config in apps.get_app_configs()):
        built.register(IncidentsCollector())
    return built
