"""A finished report told to its brand: `report.completed` (with a signed, expiring download link,
and the CSV for emails when small enough) or `report.failed`, through notifications.notify.

Connected to `signals.report_finished` (sent once per report, after its commit). A report of the
whole fleet (no brand) has no subscribers. Once per report, also when a signal is sent twice:
the idempotency key is the report's id.
"""

from typing import Any

from django.conf import settings

from notifications.models import REPORT_COMPLETED, REPORT_FAILED
from notifications.services import Attachment, notify
from reports import links, signals
from reports.models import Report


def report_payload(report: Report) -> dict[str, Any]:
    """The report as the API lists it, with its links (the signed one needs no key)."""
    data: dict[str, Any] = {
        "report_id": str(report.id),
        "status": report.status,
        "as_of": report.as_of.isoformat(),
        "brand": report.brand.slug if report.brand is not None else None,
        "scope": report.scope,
        "row_count": report.row_count,
        "polls_read": report.polls_read,
        "data_cutoff": report.data_cutoff.isoformat() if report.data_cutoff else None,
        "tzdata_version": report.tzdata_version,
        "code_version": report.code_version,
        "warnings": list(report.warnings),
        "report_url": f"{settings.SITE_URL}/get_report/{report.id}",
    }
    if report.status == Report.Status.COMPLETE:
        data["download_url"] = settings.SITE_URL + links.download_link(report.id)
    else:
        data["error"] = report.error
    return data


def on_report_finished(sender: Any, *, report: Report, **kwargs: Any) -> None:
    if report.brand_id is None:
        return
    complete = report.status == Report.Status.COMPLETE
    attachment = None
    if complete and report.file:
        attachment = Attachment(filename=f"report-{report.id}.csv", path=report.file.path)
    notify(
        brand_id=report.brand_id,
        event=REPORT_COMPLETED if complete else REPORT_FAILED,
        data=report_payload(report),
        idempotency_key=f"report:{report.id}:{'completed' if complete else 'failed'}",
        attachment=attachment,
    )


def connect() -> None:
    signals.report_finished.connect(on_report_finished, dispatch_uid="reports.notify_hooks")
