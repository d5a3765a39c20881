"""docker-compose.yml's Prometheus and the web server agree: the scrape reaches /metrics with the
token, and every process that counts writes into the one folder the web server reads.
(`make compose-check` validates the file itself.)"""

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
COMPOSE = yaml.safe_load(ROOT.joinpath("docker-compose.yml").read_text())
PROMETHEUS = yaml.safe_load(ROOT.joinpath("deploy", "prometheus", "prometheus.yml").read_text())


def test_prometheus_scrapes_the_web_servers_metrics_with_the_token_the_entrypoint_writes():
    [job] = PROMETHEUS["scrape_configs"]
    service = COMPOSE["services"]["prometheus"]

    assert job["metrics_path"] == "/metrics" and job["scheme"] == "http"
    assert job["static_configs"] == [{"targets": ["web:8000"]}]
    assert job["authorization"]["type"] == "Bearer"
    token_file = job["authorization"]["credentials_file"]
    assert f'"$$METRICS_TOKEN" > {token_file}' in service["command"][0]
    assert service["environment"]["METRICS_TOKEN"] == COMPOSE["x-app"]["environment"]["METRICS_TOKEN"]
    assert "./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in service["volumes"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in service["command"][0]


# As Prometheus asks, of a web server with production settings (DJANGO_DEBUG=0: HTTPS redirects).
SCRAPE = """
import django
django.setup()
from django.test import Client
answer = Client().get("/metrics", HTTP_HOST="web:8000", HTTP_AUTHORIZATION="Bearer compose-token")
print(answer.status_code, answer["Content-Type"])
"""


def test_the_web_server_answers_the_scrape_by_its_compose_name_over_plain_http():
    environment = COMPOSE["x-app"]["environment"]
    allowed = environment["DJANGO_ALLOWED_HOSTS"].replace("${DJANGO_ALLOWED_HOSTS:-localhost,127.0.0.1}", "x.example")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}

    done = subprocess.run(
        [sys.executable, "-c", SCRAPE],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "loopmonitor.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "compose-test-secret-" + "x" * 40,
            "DJANGO_ALLOWED_HOSTS": allowed,  # whatever the operator allows, `web` is appended
            "METRICS_TOKEN": "compose-token",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:2] == ["200", "text/plain;"]  # not a 400 (host) nor a 301 (to HTTPS)


def test_web_and_workers_share_the_metrics_folder():
    app = COMPOSE["x-app"]
    folder = app["environment"]["PROMETHEUS_MULTIPROC_DIR"]

    assert f"metrics:{folder}" in app["volumes"] and "metrics" in COMPOSE["volumes"]
    for name in ("web", "worker", "beat"):
        service = COMPOSE["services"][name]
        assert service.get("volumes", app["volumes"]) == app["volumes"], name
    # the image makes the folder, so that the volume belongs to the user the services run as
    assert folder in ROOT.joinpath("Dockerfile").read_text()


def test_gunicorn_retires_its_dead_workers_files():
    source = ROOT.joinpath("deploy", "gunicorn.conf.py").read_text()

    assert re.search(r"^def child_exit\(server, worker\)", source, re.M)
