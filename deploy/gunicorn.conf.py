"""gunicorn's settings for the web server behind the buffering proxy (deploy/nginx/).

Used by the image (`gunicorn -c deploy/gunicorn.conf.py loopmonitor.wsgi:application`)
and by reports/tests/test_proxy.py. It is not at the top of the repository on purpose:
gunicorn reads a ./gunicorn.conf.py by itself, and the benchmark's gunicorn must keep its
own command-line settings. Command-line options win over this file (the test sets --bind).

nginx reads every request whole (headers and body) before it opens a connection here,
and reads every response whole before it trickles it to a slow client, so a worker only
ever meets fast, complete requests. Threads (gthread) let one process go on answering
while a thread waits up to CELERY_BROKER_CONNECTION_TIMEOUT on a broker or database
that does not answer, and let nginx keep its connections open between requests.
"""

import os


def _env_int(name: str, default: int) -> int:
    """The integer in environment variable `name`, else `default`."""
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _cores() -> int:
    """CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# gunicorn's own convention for the process count; the default is its documented 2 x cores + 1.
workers = _env_int("WEB_CONCURRENCY", 2 * _cores() + 1)
worker_class = "gthread"
threads = _env_int("GUNICORN_THREADS", 4)

# A worker whose main loop has not checked in for `timeout` s is killed and replaced;
# nginx gives up on an answer after 60 s (proxy_read_timeout) and answers 504 itself.
timeout = _env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = 30  # on SIGTERM (docker stop), requests in flight get this long to finish
# Longer than nginx's upstream keepalive_timeout (30 s), so that nginx, not gunicorn, closes an
# idle connection: otherwise nginx may send a request down a connection gunicorn just closed.
keepalive = 35

# Requests nginx lets through fit well inside these (its large_client_header_buffers are 8 KiB).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# A process is replaced after this many requests (jittered so they do not all restart together).
max_requests = 2000
max_requests_jitter = 200

# X-Forwarded-* from these addresses are believed. In docker-compose the proxy's address is not
# fixed and the web container is reachable only on the compose network: it sets "*".
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# gunicorn >= 25.1 opens a control socket at one fixed path in $HOME (for `gunicornc`), which two
# servers on a machine would fight over; nothing here uses it. (Older versions ignore the name.)
control_socket_disable = True

# LOG_FORMAT=json: the middleware's line per request replaces the access log, and gunicorn's own
# lines are JSON too (loopmonitor/observability/logs.py). The .env file's value is not read here.
JSON_LOGS = os.environ.get("LOG_FORMAT", "text") == "json"
accesslog = None if JSON_LOGS else "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
if JSON_LOGS:
    # gunicorn merges this into its defaults one key deep: every key it names is whole here.
    logconfig_dict = {
        "root": {"level": "INFO", "handlers": ["error_console"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
            # Quiet: the request line (logger loopmonitor.request) is the access log, with more in it.
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
        "handlers": {
            "error_console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
        },
        "formatters": {"json": {"()": "loopmonitor.observability.logs.JsonFormatter"}},
    }
# The workers' heartbeat files on tmpfs: on a container's overlay filesystem a write can stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None


def child_exit(server, worker) -> None:
    """A worker ended (replaced after max_requests, or killed): its metric files go into the archive,
    so that its counts stay and its files do not pile up (loopmonitor/observability/multiproc.py)."""
    from loopmonitor.observability import multiproc

    multiproc.retire(multiproc.identifier(worker.pid))
