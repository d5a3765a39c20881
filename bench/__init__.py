"""The loopmonitor benchmark: `python -m bench [--only load,report,history,scale|compare] [--quick]`.

It measures, on PostgreSQL + Redis with real processes, what issues 4 and 5
ask for and rewrites BENCHMARKS.md (``--quick``: bench/out/BENCHMARKS-quick.md):

- ``load``    loading a data set into an empty database and again (all
              duplicates): wall time and the load process's peak RSS, at 1x
              and at 3x/10x/8-week sizes;
- ``report``  the full-size report over HTTP (``POST /trigger_report`` until
              the CSV is downloaded) against the "floor" (a binary COPY of the
              polls the report needs, with psql and with psycopg 3), and the
              in-process before/after of the poll reader (``by_row`` vs
              ``by_store``);
- ``history`` the same report with 8 weeks of polls in the table;
- ``scale``   3x and 10x fleets: report time, polls/s, worker RSS;
- ``compare`` (``--only compare``, alone; bench/compare.py) the report of the
              session's starting commit against the current one on the same
              1x database, and a fleet with special days and schedule
              versions against the plain one, each pair alternating in one run.

Modules: ``infra`` (data sets, databases, the web server and worker
subprocesses), ``measure`` (the timed steps), ``inproc`` (run in a child
process with Django set up: the in-process report and its profile),
``readers`` (the poll readers of the before/after), ``compare``,
``markdown`` (BENCHMARKS.md).
"""
