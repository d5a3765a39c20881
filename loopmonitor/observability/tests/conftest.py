"""Fixtures of the observability tests: /metrics switched on, and a scrape read into numbers."""

from collections.abc import Callable, Mapping

import pytest
from prometheus_client.parser import text_string_to_metric_families

# The apps' fixtures these tests use too (a conftest's fixtures reach only its own folder).
from notifications.tests.conftest import INCIDENT as INCIDENT
from notifications.tests.conftest import acme as acme
from notifications.tests.conftest import private_allowed as private_allowed
from notifications.tests.conftest import receiver as receiver
from reports.conftest import eager_tasks as eager_tasks
from reports.conftest import example_fleet as example_fleet
from reports.conftest import start_worker as start_worker
from stores.conftest import load_data as load_data
from stores.conftest import write_csv as write_csv

TOKEN = "test-metrics-token-0123456789"


class Scrape(dict[tuple[str, frozenset[tuple[str, str]]], float]):
    """A scrape's samples: `scrape["loopmonitor_reports_total", {"status": "complete"}]`, 0 when absent
    (a series appears at its first event), and `names`, every sample name seen."""

    def __getitem__(self, key: tuple[str, Mapping[str, str]] | str) -> float:  # type: ignore[override]
        name, labels = (key, {}) if isinstance(key, str) else key
        return self.get((name, frozenset(labels.items())), 0.0)

    @property
    def names(self) -> set[str]:
        return {name for name, _ in self.keys()}


def parse(text: str) -> Scrape:
    samples = Scrape()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


@pytest.fixture
def metrics_on(settings) -> str:
    """METRICS_TOKEN set (for this process: the test client and the live server); returns it."""
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


@pytest.fixture
def scrape(client, metrics_on) -> Callable[[], Scrape]:
    """scrape() -> GET /metrics with the token, through the test client, parsed."""

    def get() -> Scrape:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {metrics_on}")
        assert response.status_code == 200, response.content
        return parse(response.content.decode())

    return get
