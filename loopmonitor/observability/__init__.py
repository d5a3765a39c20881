"""Seeing the service run: Prometheus metrics at /metrics and structured (JSON) logs.

- `metrics`: the loopmonitor_* counters and histograms, and the functions that record them
  (the one module other apps call: it names no app, so `stores` may import it).
- `multiproc`: the files those metrics live in, shared by every process (gunicorn's workers,
  Celery's pool), and what happens to a dead process's files.
- `collectors`: what /metrics reads at scrape time (the files, the queue, the database).
- `logs`: the request id and task context every log line carries, and the JSON formatter.
- `middleware`, `views`, `signals`: the request, the /metrics endpoint, and the Celery and
  report hooks, wired in `apps.ObservabilityConfig.ready`.
"""
