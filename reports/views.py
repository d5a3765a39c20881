"""The reports API. Each view adapts HTTP to one service or selector call."""

import io
import uuid
from collections.abc import Mapping

import redis
from django.core.cache import cache
from django.db import connection
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import APIException
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import DEFAULTS, APISettings, api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from brands.access import caller_of
from brands.audit import Action, audit_request
from brands.permissions import BrandRole
from loopmonitor.api import ErrorSerializer
from loopmonitor.celery import app as celery_app
from reports import downloads, heartbeat, links, selectors, services
from reports.models import Report
from reports.serializers import (
    HealthSerializer,
    ReportSerializer,
    ReportStatusSerializer,
    TriggerResponseSerializer,
    TriggerSerializer,
    WebHealthSerializer,
)

_CSV_EXAMPLE = (
    "store_id,uptime_last_hour(in minutes),uptime_last_day(in hours),uptime_last_week(in hours),"
    "downtime_last_hour(in minutes),downtime_last_day(in hours),downtime_last_week(in hours)\n"
    "1481966498820158979,0.0,1.74,1.74,60.0,1.26,1.26\n"
)
_GET_REPORT_SCHEMA = extend_schema(
    summary="The report's status, or its CSV once complete",
    description=(
        'While the report is Pending or Running: `{"status": "Running", "progress": 0..1}`. '
        "When Complete: the CSV itself (`text/csv`, `Content-Disposition: attachment`, "
        "`X-Report-Status: Complete` and `X-Report-*` headers saying what it was computed from, "
        "`X-Report-Data-Cutoff` the instant up to which it read the polls received, and `X-Report-Warnings` "
        "when it read no polls, saying why: its as_of before every poll, or its stores without any), or with "
        "`format=xlsx` the same rows as a spreadsheet (one sheet, the CSV's header as its frozen first row, store "
        "ids as text, the six values as numbers; the same headers). A `format` other than csv or xlsx is 400 "
        "naming `format`. "
        'When Failed: `{"status": "Failed", "error": "..."}`. A malformed id is 400, an unknown one 404, '
        "and so is a report of a brand the caller has no role in (the same answer)."
    ),
    parameters=[
        OpenApiParameter(
            "report_id",
            OpenApiTypes.UUID,
            OpenApiParameter.QUERY,
            required=False,
            description="the id POST /trigger_report returned (or put it in the path)",
        ),
        OpenApiParameter(
            "format",
            OpenApiTypes.STR,
            OpenApiParameter.QUERY,
            required=False,
            enum=list(downloads.FORMATS),
            description="the file of a complete report: csv (the default) or xlsx",
        ),
    ],
    responses={
        (200, "application/json"): ReportStatusSerializer,
        (200, "text/csv"): OpenApiResponse(
            OpenApiTypes.STR,
            description="the report",
            examples=[OpenApiExample("CSV", value=_CSV_EXAMPLE, media_type="text/csv")],
        ),
        (200, downloads.XLSX_CONTENT_TYPE): OpenApiResponse(
            OpenApiTypes.BINARY, description="the report as an XLSX workbook (format=xlsx)"
        ),
        400: ErrorSerializer,
        404: ErrorSerializer,
    },
    examples=[
        OpenApiExample(
            "Unknown format",
            value={"detail": "format: 'pdf' is not a format of a report; one of csv, xlsx (default csv)"},
            response_only=True,
            status_codes=["400"],
        ),
        OpenApiExample(
            "Running",
            value={
                "status": "Running",
                "report_id": "6f1c0c6e-3f7d-4d1e-9a0b-2b7c1a1d2e3f",
                "as_of": "2023-01-25T18:00:00Z",
                "progress": 0.5,
            },
            response_only=True,
            status_codes=["200"],
        ),
    ],
)


class CacheUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The throttle cache is unreachable; try again shortly."


class TriggerReportView(APIView):
    """POST /trigger_report: start a report of the caller's brand (or the fleet, for staff); answers
    202 {"report_id"} at once. Operators and admins of a brand, and platform staff."""

    permission_classes = [BrandRole]  # a write: operator somewhere
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "trigger"  # per key; 429 past REPORT_TRIGGER_RATE

    def check_throttles(self, request) -> None:
        """DRF's, with an unreachable throttle cache (CACHE_REDIS_URL, often the broker's Redis) a 503
        with the reason rather than a 500; nothing is created before this check."""
        try:
            super().check_throttles(request)
        except (OSError, redis.exceptions.RedisError) as exc:
            raise CacheUnavailable(f"The throttle cache is unreachable ({exc}); try again shortly.") from exc

    @extend_schema(
        summary="Start a report",
        description=(
            "Queues a report and answers at once with its id; a worker computes it. A report is of one brand's "
            "stores: the caller's, when it is operator (or admin) of exactly one brand; `brand` (a slug) names it "
            "for a caller that is operator of several (400 naming `brand` when missing, and `unknown brand` for a "
            "slug of no brand the caller operates, whether it exists or not). Platform staff may omit it for the "
            "whole fleet. A viewer may not trigger: 403. `as_of` (ISO 8601, UTC if "
            "no offset) fixes the instant T (default: the latest poll of the report's stores, docs/numbers.md "
            "rule 2); `store_ids` limits it to those of the report's stores (unknown ids, another brand's "
            "included: 400 naming the first 100, with `unknown_store_count`); "
            "`received_before` (ISO 8601) reads only the polls received at or before it, so a past report's "
            "`data_cutoff` gives its CSV again. `store_ids` may also be one string of ids separated by commas, "
            "spaces or new lines. A bad body is 400 naming every bad field at once, each under its own key: a key "
            "that is no field too (`asof`: \"unknown field 'asof' (did you mean 'as_of'?)\"), and a date that does "
            'not exist in words ("2023-02-30 is not a date"). A body over DATA_UPLOAD_MAX_MEMORY_SIZE: 413. '
            "503 if the task queue or the throttle cache is unreachable (a report already created is then Failed)."
        ),
        request=TriggerSerializer,
        responses={
            202: TriggerResponseSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            413: ErrorSerializer,
            415: ErrorSerializer,
            503: ErrorSerializer,
        },
        examples=[
            OpenApiExample("As of an instant", value={"as_of": "2023-01-25T18:00:00Z"}, request_only=True),
            OpenApiExample("One of the caller's brands", value={"brand": "acme"}, request_only=True),
            OpenApiExample("Some stores", value={"store_ids": ["1481966498820158979"]}, request_only=True),
            OpenApiExample(
                "A past report again",
                value={"as_of": "2023-01-25T18:00:00Z", "received_before": "2023-01-25T18:05:12.345678Z"},
                request_only=True,
            ),
            OpenApiExample(
                "Accepted",
                value={"report_id": "6f1c0c6e-3f7d-4d1e-9a0b-2b7c1a1d2e3f"},
                response_only=True,
                status_codes=["202"],
            ),
            OpenApiExample(
                "Ids as pasted", value={"store_ids": "5286762747573456693, 99\n1481966498820158979"}, request_only=True
            ),
            OpenApiExample(
                "A misspelt key and a date that does not exist",
                value={
                    "detail": "asof: unknown field 'asof' (did you mean 'as_of'?); "
                    "received_before: 2023-02-30 is not a date",
                    "asof": ["unknown field 'asof' (did you mean 'as_of'?)"],
                    "received_before": ["2023-02-30 is not a date"],
                },
                response_only=True,
                status_codes=["400"],
            ),
            OpenApiExample(
                "Brand missing",
                value={
                    "detail": "brand: required: you are an operator of several brands; give the slug of the one "
                    "to report on",
                    "brand": ["required: you are an operator of several brands; give the slug of the one to report on"],
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request):
        params, brand_id = _trigger_read(request)
        try:
            report = services.report_create(
                as_of=params.get("as_of"),
                store_ids=params.get("store_ids"),
                received_before=params.get("received_before"),
                brand_id=brand_id,
            )
        except services.UnknownStores as exc:
            return Response(
                {"detail": str(exc), "unknown_store_ids": exc.store_ids, "unknown_store_count": exc.count},
                status=status.HTTP_400_BAD_REQUEST,
            )
        except services.BrokerUnavailable as exc:
            # The report was made (and is listed, Failed, with the reason): its trigger is on record
            # like any other, so that every report a brand's admins see has its who and whence.
            # A trigger refused before a report exists (a bad body, the throttle cache down) writes
            # nothing and is not recorded; its request line (status 503) is in the logs.
            if exc.report_id is not None:
                failed = services.report_get(report_id=exc.report_id)
                audit_request(
                    request,
                    action=Action.REPORT_TRIGGERED,
                    brand_ids=[failed.brand_id],
                    target=f"report {failed.id}",
                    detail={**_trigger_detail(failed), "queued": False},
                )
            return Response(
                {"detail": f"The task queue is unreachable ({exc}); try again shortly. The report is marked Failed."},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        audit_request(
            request,
            action=Action.REPORT_TRIGGERED,
            brand_ids=[report.brand_id],
            target=f"report {report.id}",
            detail=_trigger_detail(report),
        )
        return Response({"report_id": str(report.id)}, status=status.HTTP_202_ACCEPTED)


def _trigger_read(request) -> tuple[dict, int | None]:
    """The trigger's fields and the brand (id) its report is of. Raises ValidationError listing every
    bad field at once: the body's (unknown keys included) and the brand's choice beside them."""
    body = request.data if request.data else {}
    params = TriggerSerializer(data=body)
    errors = {} if params.is_valid() else dict(params.errors)
    brand_id = None
    if isinstance(body, Mapping) and not errors.keys() & {"brand", api_settings.NON_FIELD_ERRORS_KEY}:
        # The brand field itself is valid here, so its cleaned value reads even when another field is not.
        raw = body.get("brand")
        slug = None if raw is None else params.fields["brand"].to_internal_value(raw)
        try:
            brand_id = services.report_brand_choose(caller=caller_of(request), slug=slug)
        except services.BrandChoiceError as exc:
            errors["brand"] = [str(exc)]
    if errors:
        raise serializers.ValidationError(errors)
    return params.validated_data, brand_id


def _trigger_detail(report: Report) -> dict:
    """What the audit log keeps of a trigger: the report's instant and scope, not its store ids
    (up to 100,000 of them)."""
    return {
        "as_of": report.as_of.isoformat(),
        "scope": report.scope,
        "store_count": None if report.store_ids is None else len(report.store_ids),
        "received_before": None if report.received_before is None else report.received_before.isoformat(),
    }


class FileFormatNegotiation(DefaultContentNegotiation):
    """DRF's negotiation without its `?format=` override: on /get_report `format` names the
    report's file (csv, xlsx), not one of DRF's renderers (which would answer 404)."""

    settings = APISettings({"URL_FORMAT_OVERRIDE": None}, DEFAULTS)  # type: ignore[assignment, arg-type]


class GetReportView(APIView):
    """GET /get_report?report_id=<id> or /get_report/<id>: the status, or the CSV (or XLSX) once complete.

    The one way to a report's file: MEDIA_ROOT is served by no URL, so a CSV is read only by a
    caller that may read its report.
    """

    permission_classes = [BrandRole]
    content_negotiation_class = FileFormatNegotiation

    @_GET_REPORT_SCHEMA
    def get(self, request, report_id: str | None = None):
        raw = report_id or request.query_params.get("report_id")
        try:
            file_format = downloads.download_format(request.query_params.get("format"))
        except downloads.UnknownFormat as exc:
            return Response({"detail": f"format: {exc}", "format": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        if not raw:
            return Response({"detail": "report_id is required."}, status=status.HTTP_400_BAD_REQUEST)
        try:
            key = uuid.UUID(raw.strip())
        except ValueError:
            return Response({"detail": f"report_id {raw!r} is not a valid report id (a UUID)."}, status=400)
        try:
            report = selectors.report_visible(caller=caller_of(request), report_id=key)
        except Report.DoesNotExist:
            return Response({"detail": f"No report with id {key}."}, status=status.HTTP_404_NOT_FOUND)

        if report.status == Report.Status.COMPLETE:
            return _report_file_response(report, file_format)
        if report.status == Report.Status.FAILED:
            return Response({"status": report.status, "error": report.error, "report_id": str(report.id)})
        body = {"status": Report.Status.RUNNING.value, "report_id": str(report.id), "as_of": report.as_of}
        if report.progress is not None:
            body["progress"] = round(report.progress, 4)
        return Response(body)


def _report_file_response(report: Report, file_format: str = "csv") -> FileResponse:
    """A complete report's file as an attachment, the CSV as stored or its XLSX made now, with the
    `X-Report-*` headers of its provenance."""
    if file_format == "xlsx":
        out = io.BytesIO()
        downloads.report_xlsx(report, out)
        out.seek(0)
        response = FileResponse(
            out, content_type=downloads.XLSX_CONTENT_TYPE, as_attachment=True, filename=f"report-{report.id}.xlsx"
        )
    else:
        response = FileResponse(
            report.file.open("rb"), content_type="text/csv", as_attachment=True, filename=f"report-{report.id}.csv"
        )
    response["X-Report-Status"] = report.status
    response["X-Report-As-Of"] = report.as_of.isoformat()
    response["X-Report-Scope"] = report.scope
    response["X-Report-Rows"] = str(report.row_count)
    response["X-Report-Polls-Read"] = str(report.polls_read)
    response["X-Report-Tzdata-Version"] = report.tzdata_version
    response["X-Report-Code-Version"] = report.code_version
    if report.data_cutoff is not None:  # None: made before cutoffs were recorded
        response["X-Report-Data-Cutoff"] = report.data_cutoff.isoformat()
    if report.read_from:  # "": made before it was recorded
        response["X-Report-Read-From"] = report.read_from
    if report.warnings:
        response["X-Report-Warnings"] = "; ".join(report.warnings)
    return response


class SignedDownloadView(APIView):
    """GET /reports/<id>/download?expires=&signature=: a signed link's CSV, no key needed (reports/links.py)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]  # the signature is the permission

    @extend_schema(
        summary="A report's CSV through a signed, expiring link",
        description=(
            "The link a `report.completed` webhook or email carries (`download_link`): no key, the signature "
            "grants this one report until `expires` (unix seconds; REPORT_LINK_TTL_SECONDS after it was made). "
            "A changed id, expiry or signature, or an expired link: 403. A report that is not complete: 404."
        ),
        parameters=[
            OpenApiParameter("expires", OpenApiTypes.INT, OpenApiParameter.QUERY, required=True),
            OpenApiParameter("signature", OpenApiTypes.STR, OpenApiParameter.QUERY, required=True),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="the report"),
            403: ErrorSerializer,
            404: ErrorSerializer,
        },
    )
    def get(self, request, report_id: str):
        try:
            key = uuid.UUID(report_id)
            links.link_check(
                key,
                expires=request.query_params.get("expires", ""),
                signature=request.query_params.get("signature", ""),
            )
        except ValueError:
            return Response({"detail": "The link is not valid."}, status=status.HTTP_403_FORBIDDEN)
        except links.LinkRefused as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        report = Report.objects.filter(pk=key, status=Report.Status.COMPLETE).first()
        if report is None:
            return Response({"detail": f"Report {key} is not complete."}, status=status.HTTP_404_NOT_FOUND)
        return _report_file_response(report)


class GetReportByPathView(GetReportView):
    """GET /get_report/<id>: the same as GET /get_report?report_id=<id>."""

    @extend_schema(
        operation_id="get_report_by_path", parameters=[], summary="The report's status, or its CSV (id in the path)"
    )
    @_GET_REPORT_SCHEMA
    def get(self, request, report_id: str | None = None):
        return super().get(request, report_id)


class ReportListView(generics.ListAPIView):
    """The caller's brands' reports, newest first, 50 a page: status, as_of, brand and scope, timings,
    what each was computed from, download link."""

    permission_classes = [BrandRole]
    serializer_class = ReportSerializer

    def get_queryset(self):
        return selectors.report_list(caller=caller_of(self.request))

    @extend_schema(
        summary="List reports",
        description=(
            "The reports of the caller's brands (platform staff: every report, the whole fleet's included), "
            "newest first, 50 a page (`?page=N`): a page that does not exist is 404."
        ),
        responses={200: ReportSerializer(many=True), 404: ErrorSerializer},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _health_answer(checks: dict[str, str]) -> Response:
    healthy = all(v == "ok" for v in checks.values())
    return Response(
        {"status": "ok" if healthy else "unavailable", **checks},
        status=status.HTTP_200_OK if healthy else status.HTTP_503_SERVICE_UNAVAILABLE,
    )


def _web_checks() -> dict[str, str]:
    return {"database": _check(_ping_database), "broker": _check(_ping_broker), "cache": _check(_ping_cache)}


class HealthView(APIView):
    """GET /healthz: whether the database, the broker, the cache (throttle counters) answer and a
    worker is alive: all that a report needs to be computed."""

    authentication_classes: list = []
    permission_classes = [AllowAny]  # probes carry no key

    @extend_schema(
        summary="Health of the database, the broker, the cache and the workers",
        description=(
            "200 when all answer and a worker reported within WORKER_HEARTBEAT_STALE_SECONDS (30 s); else 503, "
            'each check saying "ok" or what is wrong ("worker": "no worker has reported in 30 s": reports stay '
            "Pending until one starts). A probe of the web server alone (a container's health check) asks "
            "GET /healthz/web, which leaves the workers out."
        ),
        responses={200: HealthSerializer, 503: HealthSerializer},
        examples=[
            OpenApiExample(
                "Healthy", value={"status": "ok", "database": "ok", "broker": "ok", "cache": "ok", "worker": "ok"}
            ),
            OpenApiExample(
                "No worker",
                value={
                    "status": "unavailable",
                    "database": "ok",
                    "broker": "ok",
                    "cache": "ok",
                    "worker": "no worker has reported in 30 s",
                },
                response_only=True,
                status_codes=["503"],
            ),
        ],
    )
    def get(self, request):
        checks = _web_checks()
        checks["worker"] = "ok" if checks["database"] != "ok" else _check_worker()
        return _health_answer(checks)


class WebHealthView(APIView):
    """GET /healthz/web: the web server's own health (database, broker, cache), workers left out: the
    web container's probe, which a stopped worker must not mark unhealthy."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Health of the web server: its database, broker and cache",
        description="As GET /healthz without the workers: 200 when the three answer, else 503 naming what is not.",
        responses={200: WebHealthSerializer, 503: WebHealthSerializer},
        examples=[OpenApiExample("Healthy", value={"status": "ok", "database": "ok", "broker": "ok", "cache": "ok"})],
    )
    def get(self, request):
        return _health_answer(_web_checks())


def _check_worker() -> str:
    try:
        return heartbeat.worker_problem() or "ok"
    except Exception as exc:
        return f"error: {exc}"


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


def _ping_cache() -> None:
    # The throttle counters' store: POST /trigger_report needs it (503 without it).
    cache.get("healthz")
