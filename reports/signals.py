"""What the reports app tells the rest of the project, without knowing who listens.

`report_finished` is sent once per report, after the transaction that made it Complete or
Failed has committed (`services.report_finalize`, `services.report_fail`), with `report=` the
Report as stored then. A receiver (notifications: `report.completed` with a signed download
link, `report.failed`) reads a committed row, and a receiver that raises is logged, never
undoes or fails the report.
"""

import django.dispatch

report_finished = django.dispatch.Signal()
