"""The web server behind its reverse proxy, as docker-compose.yml runs it, with real processes.

gunicorn runs with deploy/gunicorn.conf.py and production settings (DJANGO_DEBUG=0) on the
suite's database and broker; Debian's nginx runs deploy/nginx/default.conf.template, filled
in the way the official nginx image fills it (envsubst of the listed variables only), with a
throwaway self-signed certificate. Everything listens on 127.0.0.1 and is stopped at the end.

Ports come from LOOPMONITOR_TEST_PORTS ("first-last") when it is set, else from the kernel.
nginx comes from `make proxy-deps` (part of `make test`); without it the module is skipped,
except under LOOPMONITOR_REQUIRE_SERVICES=1 (CI), where that is a failure.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import secrets
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from django.conf import settings

# django_db: so that pytest-django creates the test database the servers here are pointed at
# (it sets up only the databases that some collected test asks for).
pytestmark = [pytest.mark.slow, pytest.mark.django_db]

DEPLOY = Path(settings.BASE_DIR) / "deploy"
TEMPLATE = DEPLOY / "nginx" / "default.conf.template"
GUNICORN_CONF = DEPLOY / "gunicorn.conf.py"
COMPOSE = Path(settings.BASE_DIR) / "docker-compose.yml"

SLOW_CLIENTS = 4
TRICKLE_SECONDS = 20
HEALTHZ_BUDGET_SECONDS = 1.0

_handed_out: set[int] = set()


# --- plumbing ------------------------------------------------------------------------------


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on, from LOOPMONITOR_TEST_PORTS if set."""
    span = os.environ.get("LOOPMONITOR_TEST_PORTS", "").strip()
    candidates = [0]
    if span:
        first, last = (int(p) for p in span.split("-"))
        candidates = random.sample(range(first, last + 1), last - first + 1)
    for candidate in candidates:
        if candidate in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            port = s.getsockname()[1]
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port in LOOPMONITOR_TEST_PORTS={span}")


def render_template(text: str, variables: dict[str, str]) -> str:
    """`text` with $NAME / ${NAME} replaced for the names in `variables` only, as
    `envsubst "$defined_envs"` in the official image's 20-envsubst-on-templates.sh does."""

    def substitute(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        return variables.get(name, match.group(0))

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", substitute, text)


def _nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if found:
        return found
    reason = "Debian's nginx is not installed: `make proxy-deps` (as root) installs it"
    if os.environ.get("LOOPMONITOR_REQUIRE_SERVICES") == "1":
        pytest.fail(f"LOOPMONITOR_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def _database_url() -> str:
    """The suite's (test) database as a DATABASE_URL for another process."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = urllib.parse.quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + urllib.parse.quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _production_env() -> dict[str, str]:
    """This process's environment with production settings (DJANGO_DEBUG=0) on the suite's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_", "WEB_CONCURRENCY"))}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=_database_url(),
        LOOPMONITOR_VAR_DIR=str(settings.VAR_DIR),
    )
    return env


class Process:
    """A child in its own process group, output to `log`, always stopped by `stop()`."""

    def __init__(self, name: str, argv: list[str], log: Path, env: dict[str, str] | None = None):
        self.name, self.log = name, log
        with open(log, "ab") as out:  # appended to: nginx writes its error log here too
            self.proc = subprocess.Popen(
                argv,
                cwd=settings.BASE_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def tail(self) -> str:
        return f"--- {self.name} ({self.log}):\n" + self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)


def _start_gunicorn(tmp: Path, argv: list[str], port: int, name: str, **env: str) -> Process:
    """gunicorn with `argv` on 127.0.0.1:`port`, once /healthz/web answers 200 over plain HTTP (no worker
    runs here, so /healthz itself would say 503)."""
    # XDG_RUNTIME_DIR: where gunicorn >= 25.1 puts its control socket unless told not to (deploy/gunicorn.conf.py).
    env = {**_production_env(), "XDG_RUNTIME_DIR": str(tmp), **env}
    process = Process(name, argv + ["--bind", f"127.0.0.1:{port}"], tmp / f"{name}.log", env)
    deadline = time.monotonic() + 60
    while True:
        if process.proc.poll() is not None:
            raise AssertionError(f"{name} exited ({process.proc.returncode})\n{process.tail()}")
        answer = "no answer"
        try:
            status, _, body = _get(http.client.HTTPConnection("127.0.0.1", port, timeout=5), "/healthz/web")
            if status == 200:
                return process
            answer = f"{status} {body!r}"
        except OSError as exc:
            answer = str(exc)
        if time.monotonic() > deadline:
            process.stop()
            raise AssertionError(
                f"{name} did not answer /healthz/web with 200 within 60 s ({answer})\n{process.tail()}"
            )
        time.sleep(0.2)


@dataclass
class Proxied:
    http_port: int
    https_port: int
    tls: ssl.SSLContext  # trusts the throwaway certificate
    gunicorn: Process
    nginx: Process
    access_log: Path  # nginx's JSON access lines

    def access_lines(self, request_id: str, *, count: int = 1, timeout: float = 5) -> list[dict]:
        """nginx's access lines of `request_id`, once there are `count` (nginx writes a line after
        the answer is sent)."""
        return self._json_lines(self.access_log, request_id, count=count, timeout=timeout)

    def web_lines(self, request_id: str, *, timeout: float = 5) -> list[dict]:
        """The web server's request lines (logger loopmonitor.request) of `request_id`."""
        lines = self._json_lines(self.gunicorn.log, request_id, count=1, timeout=timeout)
        return [line for line in lines if line.get("logger") == "loopmonitor.request"]

    @staticmethod
    def _json_lines(path: Path, request_id: str, *, count: int, timeout: float) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            found = [
                json.loads(line)
                for line in path.read_text(errors="replace").splitlines()
                if request_id in line and line.startswith("{")
            ]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def https(self, timeout: float = 10) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection("127.0.0.1", self.https_port, context=self.tls, timeout=timeout)

    def logs(self) -> str:
        return self.gunicorn.tail() + "\n" + self.nginx.tail()


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    cert, key = tmp / "tls.crt", tmp / "tls.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def _nginx_main_conf(tmp: Path, site: Path) -> str:
    """The http{} frame of the official image's /etc/nginx/nginx.conf, with every path in `tmp`."""
    user = "user root root;\n" if os.geteuid() == 0 else ""  # workers must reach the temp folders in tmp
    temp = "".join(
        f"    {kind}_temp_path {tmp / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"daemon off;\n{user}worker_processes 1;\npid {tmp / 'nginx.pid'};\nerror_log {tmp / 'nginx.log'} info;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        "    include /etc/nginx/mime.types;\n"
        "    default_type application/octet-stream;\n"
        f"    access_log {tmp / 'access.log'};\n"
        "    sendfile on;\n"
        "    keepalive_timeout 65;\n"
        f"{temp}"
        f"    include {site};\n"
        "}\n"
    )


@pytest.fixture(scope="module")
def proxied(django_db_setup, tmp_path_factory) -> Iterator[Proxied]:
    """gunicorn (deploy/gunicorn.conf.py) behind Debian's nginx (deploy/nginx/), both stopped afterwards."""
    nginx = _nginx_binary()
    tmp = tmp_path_factory.mktemp("proxy")
    cert, key = _self_signed(tmp)
    web_port, http_port, https_port = _free_port(), _free_port(), _free_port()

    site = tmp / "conf.d" / "default.conf"
    site.parent.mkdir()
    site.write_text(
        render_template(
            TEMPLATE.read_text(),
            {
                "LOOPMONITOR_UPSTREAM": f"127.0.0.1:{web_port}",
                "LOOPMONITOR_HTTP_LISTEN": f"127.0.0.1:{http_port}",
                "LOOPMONITOR_HTTPS_LISTEN": f"127.0.0.1:{https_port}",
                "LOOPMONITOR_PUBLIC_HTTPS_PORT": str(https_port),
                "LOOPMONITOR_TLS_CERT": str(cert),
                "LOOPMONITOR_TLS_KEY": str(key),
                "LOOPMONITOR_MAX_BODY_BYTES": str(settings.POLLS_PUSH_MAX_BYTES),
                "LOOPMONITOR_ACCESS_LOG": str(tmp / "access.json"),
            },
        )
    )
    assert "${LOOPMONITOR_" not in site.read_text()
    main = tmp / "nginx.conf"
    main.write_text(_nginx_main_conf(tmp, site))
    gunicorn = _start_gunicorn(
        tmp,
        [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "loopmonitor.wsgi:application"],
        web_port,
        "gunicorn",
        # Fewer request slots (1 process x 2 threads) than slow clients: were nginx to pass a
        # request on before its body is complete, the slow clients would take every slot.
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="2",
        # As docker-compose.yml runs it: a JSON line per request, with the request id nginx passed on.
        LOG_FORMAT="json",
    )
    try:
        proxy = Process(
            "nginx", [nginx, "-p", f"{tmp}/", "-e", str(tmp / "nginx.log"), "-c", str(main)], tmp / "nginx.log"
        )
    except BaseException:
        gunicorn.stop()
        raise
    running = Proxied(
        http_port, https_port, ssl.create_default_context(cafile=str(cert)), gunicorn, proxy, tmp / "access.json"
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proxy.proc.poll() is not None:
                raise AssertionError(f"nginx exited ({proxy.proc.returncode})\n{running.logs()}")
            try:
                conn = running.https(timeout=5)
                conn.request("GET", "/healthz/web")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"nginx did not proxy /healthz/web within 30 s\n{running.logs()}")
            time.sleep(0.2)
        yield running
    finally:
        proxy.stop()
        gunicorn.stop()


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[int, dict[str, str], bytes]:
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def _raw_request(sock: socket.socket, head: str) -> tuple[int, dict[str, str], bytes]:
    """Send request headers only (no body) and read the answer."""
    sock.sendall(head.encode())
    sock.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data and (chunk := sock.recv(65536)):
        data += chunk
    head_bytes, _, body = data.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:])}
    while len(body) < int(headers["content-length"]) and (chunk := sock.recv(65536)):
        body += chunk
    return int(lines[0].split()[1]), headers, body


# --- slow clients ---------------------------------------------------------------------------


def _slow_request_head(port: int, content_length: int) -> bytes:
    """Headers of an anonymous admin login POST, as any visitor may send.

    Django reads this body (the CSRF check looks for the form's token in it), so a server
    that hands the request to the application before the body is complete ties a worker
    up while it trickles. X-Forwarded-Proto stands in for the proxy where there is none
    (nginx replaces it); Origin and the cookie let the request past the CSRF checks that
    come before the body is read.
    """
    return (
        f"POST /admin/login/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Forwarded-Proto: https\r\n"
        f"Origin: https://127.0.0.1:{port}\r\nCookie: csrftoken={'a' * 32}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {content_length}\r\n\r\n"
    ).encode()


class SlowClients:
    """`SLOW_CLIENTS` connections that send their headers, then one body byte a second."""

    def __init__(self, port: int, tls: ssl.SSLContext | None):
        self.port, self.tls = port, tls
        self.socks: list[socket.socket] = []
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.thread = threading.Thread(target=self._trickle, daemon=True)

    def __enter__(self) -> SlowClients:
        for _ in range(SLOW_CLIENTS):
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            if self.tls:
                sock = self.tls.wrap_socket(sock, server_hostname="127.0.0.1")
            sock.sendall(_slow_request_head(self.port, content_length=100_000))
            self.socks.append(sock)
        self.thread.start()
        return self

    def _trickle(self) -> None:
        while not self.stop.wait(1.0):
            for i, sock in enumerate(self.socks):
                try:
                    sock.sendall(b"a")
                except OSError as exc:
                    self.errors.append(f"slow client {i}: {exc}")

    def answered(self) -> list[int]:
        """The clients that got an answer or were disconnected: a server that gave up on them."""
        gone = []
        for i, sock in enumerate(self.socks):
            if not select.select([sock], [], [], 0)[0]:
                continue
            sock.setblocking(False)
            try:
                sock.recv(1)  # an answer, or b"" for a closed connection
                gone.append(i)
            except (ssl.SSLWantReadError, BlockingIOError):
                pass  # TLS 1.3 session tickets only: no answer yet
            except OSError:
                gone.append(i)
            finally:
                sock.settimeout(10)
        return gone

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        for sock in self.socks:
            sock.close()


def _healthz_seconds(connect, budget: float) -> float | None:
    """Seconds until /healthz answered 200 on a new connection, or None if not within `budget`."""
    start = time.monotonic()
    try:
        conn = connect(budget)
        conn.request("GET", "/healthz/web")
        response = conn.getresponse()
        response.read()
        conn.close()
    except (TimeoutError, OSError):
        return None
    return time.monotonic() - start if response.status == 200 else None


def test_healthz_answers_within_a_second_while_four_slow_clients_trickle_bodies(proxied):
    # given four clients trickling a body through the proxy, one byte a second
    latencies: list[float | None] = []
    with SlowClients(proxied.https_port, proxied.tls) as slow:
        # when /healthz is asked, on a new connection each time, for as long as they trickle
        deadline = time.monotonic() + TRICKLE_SECONDS
        while time.monotonic() < deadline:
            latencies.append(_healthz_seconds(proxied.https, HEALTHZ_BUDGET_SECONDS))
            time.sleep(0.25)
        # then every answer came within the budget, and the slow clients were held, not dropped
        gone = slow.answered()
    failed = [i for i, seconds in enumerate(latencies) if seconds is None]
    assert not failed, f"/healthz took over {HEALTHZ_BUDGET_SECONDS} s at probes {failed}\n{proxied.logs()}"
    assert len(latencies) >= TRICKLE_SECONDS // 2, latencies  # probed all along
    answered = [seconds for seconds in latencies if seconds is not None]  # all of them, as asserted above
    assert max(answered) < HEALTHZ_BUDGET_SECONDS
    assert not gone and not slow.errors, f"nginx gave up on slow clients {gone}: {slow.errors}\n{proxied.logs()}"
    assert "POST /admin/login/" not in proxied.gunicorn.log.read_text()  # no partial request reached gunicorn


def test_without_the_proxy_the_same_slow_clients_block_the_formerly_shipped_gunicorn(django_db_setup, tmp_path):
    """The contrast: the issue's setup (3 sync workers, exposed directly) stops answering."""
    port = _free_port()
    gunicorn = _start_gunicorn(
        tmp_path,
        [sys.executable, "-m", "gunicorn", "loopmonitor.wsgi:application", "--workers", "3"],
        port,
        "gunicorn-exposed",
    )

    def plain(timeout: float) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    try:
        with SlowClients(port, tls=None):
            # Each worker takes one slow client as it comes; the fourth and /healthz queue behind them.
            time.sleep(1)
            blocked = _healthz_seconds(plain, budget=2.0)
        freed = _healthz_seconds(plain, budget=10.0)
    finally:
        gunicorn.stop()
    assert blocked is None, f"/healthz answered in {blocked} s while 3 sync workers read slow bodies"
    assert freed is not None, gunicorn.tail()


# --- TLS, redirect, limits ------------------------------------------------------------------


def test_plain_http_redirects_to_https_keeping_path_and_query(proxied):
    conn = http.client.HTTPConnection("127.0.0.1", proxied.http_port, timeout=10)
    status, headers, _ = _get(conn, "/api/reports?page=2")

    assert status == 308
    assert headers["location"] == f"https://127.0.0.1:{proxied.https_port}/api/reports?page=2"


def test_https_serves_the_page_with_production_security_headers(proxied):
    # the page sends an anonymous visitor to the login form, over HTTPS (no redirect loop)
    status, headers, _ = _get(proxied.https(), "/")
    assert status == 302, headers
    assert headers["location"].startswith("/login/")

    status, headers, body = _get(proxied.https(), "/login/")
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert b"csrfmiddlewaretoken" in body
    assert "max-age=" in headers["strict-transport-security"]  # Django saw the request as HTTPS
    assert "secure" in headers["set-cookie"].lower()

    status, headers, body = _get(proxied.https(), "/healthz/web")
    assert (status, json.loads(body)["status"]) == (200, "ok")


def test_a_sane_request_id_is_passed_on_and_logged_by_nginx_and_the_web_server(proxied):
    conn = proxied.https()
    conn.request("GET", "/healthz/web", headers={"X-Request-ID": "from-the-client.42"})
    response = conn.getresponse()
    response.read()

    assert response.status == 200
    assert response.getheader("X-Request-ID") == "from-the-client.42"
    [access] = proxied.access_lines("from-the-client.42")
    assert (access["method"], access["path"], access["status"], access["upstream_status"]) == (
        "GET",
        "/healthz/web",
        200,
        "200",
    )
    [web] = proxied.web_lines("from-the-client.42")
    assert (web["request_id"], web["view"], web["status"]) == ("from-the-client.42", "healthz-web", 200)


@pytest.mark.parametrize("given", [None, "has a space", "-dash-first", "x" * 129])
def test_without_a_sane_request_id_nginx_makes_one_and_the_web_server_keeps_it(proxied, given):
    conn = proxied.https()
    conn.request("GET", "/healthz/web", headers={} if given is None else {"X-Request-ID": given})
    response = conn.getresponse()
    response.read()

    # nginx's own id ($request_id, 32 hex digits): its access line and the web server's line name it
    request_id = response.getheader("X-Request-ID")
    assert re.fullmatch(r"[0-9a-f]{32}", request_id), request_id
    [access] = proxied.access_lines(request_id)
    assert access["path"] == "/healthz/web"
    [web] = proxied.web_lines(request_id)
    assert web["request_id"] == request_id


def test_nginx_own_answers_carry_and_log_a_request_id(proxied):
    for conn in (http.client.HTTPConnection("127.0.0.1", proxied.http_port, timeout=10), proxied.https()):
        conn.request("GET", "/media/x.csv", headers={"X-Request-ID": "nginx-itself-1"})
        response = conn.getresponse()
        response.read()
        assert response.status in (308, 404)
        assert response.getheader("X-Request-ID") == "nginx-itself-1"
    assert sorted(line["status"] for line in proxied.access_lines("nginx-itself-1", count=2)) == [308, 404]
    assert proxied.web_lines("nginx-itself-1", timeout=0) == []  # never reached the web server


def test_media_is_not_served(proxied):
    status, headers, body = _get(proxied.https(), "/media/reports/anything.csv")

    assert status == 404
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {"detail": "Not found."}


@pytest.mark.parametrize("scheme", ["https", "http"])
def test_a_body_over_the_limit_is_413_json_before_it_is_sent(proxied, scheme):
    port = proxied.https_port if scheme == "https" else proxied.http_port
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    if scheme == "https":
        sock = proxied.tls.wrap_socket(sock, server_hostname="127.0.0.1")
    with sock:
        status, headers, body = _raw_request(
            sock,
            f"POST /api/polls HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: text/csv\r\n"
            f"Content-Length: {settings.POLLS_PUSH_MAX_BYTES + 1}\r\nConnection: close\r\n\r\n",
        )

    assert status == 413
    assert headers["content-type"] == "application/json"
    assert str(settings.POLLS_PUSH_MAX_BYTES) in json.loads(body)["detail"]


def test_a_body_of_exactly_the_limit_reaches_the_application(proxied):
    conn = proxied.https(timeout=30)
    conn.request(
        "POST",
        "/api/polls",
        body=b"x" * settings.POLLS_PUSH_MAX_BYTES,
        headers={"Content-Type": "text/csv"},
    )
    response = conn.getresponse()

    # Django's answer (no key), not nginx's 413
    assert response.status == 401
    assert "credentials" in json.loads(response.read())["detail"]


def test_docker_compose_fills_every_template_variable_and_the_same_body_limit():
    compose = yaml.safe_load(COMPOSE.read_text())
    proxy_env = compose["services"]["proxy"]["environment"]
    wanted = set(re.findall(r"\$\{(LOOPMONITOR_\w+)\}", TEMPLATE.read_text()))

    assert wanted <= set(proxy_env), wanted - set(proxy_env)
    assert proxy_env["LOOPMONITOR_MAX_BODY_BYTES"] == f"${{POLLS_PUSH_MAX_BYTES:-{settings.POLLS_PUSH_MAX_BYTES}}}"
    web_env = compose["x-app"]["environment"]
    assert web_env["POLLS_PUSH_MAX_BYTES"] == proxy_env["LOOPMONITOR_MAX_BODY_BYTES"]
