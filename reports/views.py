"""The reports API. Each view adapts HTTP to one service or selector call."""

import uuid

from django.db import connection
from django.http import FileResponse
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from loopmonitor.celery import app as celery_app
from reports import selectors, services
from reports.models import Report
from reports.serializers import ReportSerializer, TriggerSerializer


class TriggerReportView(APIView):
    """POST /trigger_report: start a report; answers 202 {"report_id"} at once."""

    def post(self, request):
        params = TriggerSerializer(data=request.data if request.data else {})
        params.is_valid(raise_exception=True)
        try:
            report = services.report_create(
                as_of=params.validated_data.get("as_of"), store_ids=params.validated_data.get("store_ids")
            )
        except services.UnknownStores as exc:
            return Response({"detail": str(exc), "unknown_store_ids": exc.store_ids}, status=status.HTTP_400_BAD_REQUEST)
        except services.BrokerUnavailable:
            return Response(
                {"detail": "The task queue is unreachable; try again shortly."}, status=status.HTTP_503_SERVICE_UNAVAILABLE
            )
        return Response({"report_id": str(report.id)}, status=status.HTTP_202_ACCEPTED)


class GetReportView(APIView):
    """GET /get_report?report_id=<id> or /get_report/<id>: the status, or the CSV once complete."""

    def get(self, request, report_id: str | None = None):
        raw = report_id or request.query_params.get("report_id")
        if not raw:
            return Response({"detail": "report_id is required."}, status=status.HTTP_400_BAD_REQUEST)
        try:
            key = uuid.UUID(raw.strip())
        except ValueError:
            return Response({"detail": f"report_id {raw!r} is not a valid report id (a UUID)."}, status=400)
        try:
            report = services.report_get(report_id=key)
        except Report.DoesNotExist:
            return Response({"detail": f"No report with id {key}."}, status=status.HTTP_404_NOT_FOUND)

        if report.status == Report.Status.COMPLETE:
            response = FileResponse(
                report.file.open("rb"), content_type="text/csv", as_attachment=True, filename=f"report-{report.id}.csv"
            )
            response["X-Report-Status"] = report.status
            response["X-Report-As-Of"] = report.as_of.isoformat()
            response["X-Report-Rows"] = str(report.row_count)
            return response
        if report.status == Report.Status.FAILED:
            return Response({"status": report.status, "error": report.error, "report_id": str(report.id)})
        body = {"status": Report.Status.RUNNING.value, "report_id": str(report.id), "as_of": report.as_of}
        if report.progress is not None:
            body["progress"] = round(report.progress, 4)
        return Response(body)


class ReportListView(generics.ListAPIView):
    """GET /api/reports/: reports, newest first, paginated."""

    serializer_class = ReportSerializer

    def get_queryset(self):
        return selectors.report_list()


class HealthView(APIView):
    """GET /healthz: whether the database and the broker answer."""

    def get(self, request):
        checks = {"database": _check(_ping_database), "broker": _check(_ping_broker)}
        healthy = all(v == "ok" for v in checks.values())
        return Response(
            {"status": "ok" if healthy else "unavailable", **checks},
            status=status.HTTP_200_OK if healthy else status.HTTP_503_SERVICE_UNAVAILABLE,
        )


def _check(probe) -> str:
    try:
        probe()
        return "ok"
    except Exception as exc:
        return f"error: {exc}"


def _ping_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _ping_broker() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
