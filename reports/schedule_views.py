"""/api/schedules/: a brand's reports on a schedule. Each view adapts HTTP to one selector or service.

Reading needs a viewer's role in the schedule's brand; creating, changing and deleting need its
admin's (a schedule is recurring work: a whole report of the brand at every run, so it is the
brand's admins' decision, as its keys and members are). Platform staff may do all of it. Another
brand's schedule answers 404 exactly as one that does not exist; the brand's viewers and
operators get 403 for a write (they can see the schedule, so nothing leaks).
"""

from typing import Any

from django.core.exceptions import ValidationError as ModelValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from brands.access import caller_of
from brands.audit import Action, audit_request
from brands.models import Role
from brands.permissions import BrandRole
from loopmonitor.api import ErrorSerializer
from reports import schedule_services, selectors, services
from reports.models import ReportSchedule
from reports.schedule_serializers import ScheduleCreateSerializer, ScheduleSerializer, ScheduleUpdateSerializer

NOT_ADMIN = "Only the brand's admins (and platform staff) create, change and delete its report schedules."
ACCESS_DOC = (
    " Reading: a viewer of the schedule's brand; writing: its admins. Platform staff: every brand. Another "
    "brand's schedule is 404, exactly as one that does not exist; a viewer or operator writing gets 403."
)
SCHEDULE_ID = OpenApiParameter("schedule_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="the schedule's id")
_EXAMPLE = {
    "id": "3b0f6f0e-6a51-4d7e-9c55-0c4f1c2a9d10",
    "brand": "acme",
    "name": "Morning report",
    "cron": "0 6 * * *",
    "description": "At 06:00 AM Asia/Kolkata",
    "timezone": "Asia/Kolkata",
    "enabled": True,
    "next_run_at_utc": "2026-03-02T00:30:00Z",
    "next_run_at_local": "2026-03-02T06:00:00+05:30",
    "last_run_at": "2026-03-01T00:30:00.412Z",
    "last_report": {
        "id": "6f1c0c6e-3f7d-4d1e-9a0b-2b7c1a1d2e3f",
        "status": "Complete",
        "url": "/get_report/6f1c0c6e-3f7d-4d1e-9a0b-2b7c1a1d2e3f",
    },
    "created_by": "key acme admin (Xb3kQ9aZ)",
    "created_at": "2026-02-27T10:00:00Z",
    "updated_at": "2026-02-27T10:00:00Z",
}
_TIMES_DOC = (
    "The times are `cron`, five fields (minute hour day-of-month month day-of-week) read as Celery beat reads "
    "them: the minute is one number (at most one run an hour), day of month and day of week must both match, "
    "days of the week are 0-6 or sun..sat (0 = Sunday). Or the friendly form `every` (day, weekday, monday.. "
    "sunday) with `at` (HH:MM). Both are local times in `timezone`, an IANA name: '0 6 * * *' in Asia/Kolkata "
    "runs at 00:30 UTC. A bad `cron`, `every`, `at` or `timezone` is 400 naming it."
)


def _answer(schedule: ReportSchedule, *, code: int = status.HTTP_200_OK) -> Response:
    return Response(ScheduleSerializer(schedule, context={"now": timezone.now()}).data, status=code)


def _audit_detail(schedule: ReportSchedule) -> dict[str, Any]:
    return {name: getattr(schedule, name) for name in schedule_services.EDITABLE}


def _model_errors(exc: ModelValidationError) -> serializers.ValidationError:
    """A model's own refusal (checked again by the service) as the API's 400, by field."""
    return serializers.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})


class ScheduleListView(generics.GenericAPIView):
    """GET and POST /api/schedules/: the caller's brands' report schedules, and a new one."""

    permission_classes = [BrandRole]
    read_role = Role.VIEWER
    write_role = Role.ADMIN
    serializer_class = ScheduleSerializer

    @extend_schema(
        summary="List report schedules",
        description="The schedules of the caller's brands (platform staff: every brand's), by brand and name, "
        "50 a page, each with its next run in UTC and in its own timezone." + ACCESS_DOC,
        responses={200: ScheduleSerializer(many=True), 403: ErrorSerializer, 404: ErrorSerializer},
        examples=[OpenApiExample("A schedule", value=_EXAMPLE, response_only=True, status_codes=["200"])],
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.schedules_visible(caller_of(request)))
        data = ScheduleSerializer(page, many=True, context={"now": timezone.now()}).data
        return self.get_paginated_response(data)

    @extend_schema(
        summary="Schedule a brand's report",
        description=(
            "A schedule of one brand: at each of its times Celery beat triggers the brand's report (as "
            "`POST /trigger_report` with `brand` does) and records it as `last_report`. `brand` (a slug) is "
            "required of platform staff and of an admin of several brands (400 naming `brand`; `unknown brand` for "
            "a slug of no brand the caller administers, whether it exists or not). " + _TIMES_DOC + " A run missed "
            "while beat was down runs once when beat is back, not once per missed time. At most "
            "REPORT_SCHEDULES_PER_BRAND_MAX schedules per brand (400)." + ACCESS_DOC
        ),
        request=ScheduleCreateSerializer,
        responses={201: ScheduleSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
        examples=[
            OpenApiExample(
                "Daily at 06:00 in Kolkata",
                value={"name": "Morning report", "cron": "0 6 * * *", "timezone": "Asia/Kolkata"},
                request_only=True,
            ),
            OpenApiExample(
                "Every Monday at 07:00, one of the caller's brands",
                value={
                    "brand": "acme",
                    "name": "Weekly",
                    "every": "monday",
                    "at": "07:00",
                    "timezone": "Europe/Berlin",
                },
                request_only=True,
            ),
            OpenApiExample("Created", value=_EXAMPLE, response_only=True, status_codes=["201"]),
            OpenApiExample(
                "A bad cron line",
                value={
                    "detail": "cron: the hour field '24' is not valid: Invalid end range: 24 > 23.",
                    "cron": ["the hour field '24' is not valid: Invalid end range: 24 > 23."],
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        asked = ScheduleCreateSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        given = dict(asked.validated_data)
        caller = caller_of(request)
        try:
            brand_id = schedule_services.schedule_brand_choose(caller=caller, slug=given.pop("brand", None))
        except services.BrandChoiceError as exc:
            raise serializers.ValidationError({"brand": [str(exc)]}) from None
        try:
            schedule = schedule_services.schedule_create(
                brand_id=brand_id,
                name=given["name"],
                cron_line=given["cron"],
                timezone_name=given["timezone"],
                enabled=given.get("enabled", True),
                created_by=caller.name or str(caller),
            )
        except schedule_services.ScheduleRefused as exc:
            raise serializers.ValidationError({"brand": [str(exc)]}) from None
        except ModelValidationError as exc:
            raise _model_errors(exc) from None
        audit_request(
            request,
            action=Action.SCHEDULE_CREATED,
            brand_ids=[brand_id],
            target=f"schedule {schedule.id} ({schedule.name})",
            detail=_audit_detail(schedule),
        )
        return _answer(schedule, code=status.HTTP_201_CREATED)


class ScheduleDetailView(generics.GenericAPIView):
    """GET, PATCH and DELETE /api/schedules/{id}."""

    permission_classes = [BrandRole]
    read_role = Role.VIEWER
    write_role = Role.ADMIN
    serializer_class = ScheduleSerializer

    def schedule_of(self, request: Request, schedule_id: str, *, write: bool = False) -> ReportSchedule:
        """The schedule if the caller may see it (else 404, as for none) and, for a write, is admin
        of its brand (else 403)."""
        caller = caller_of(request)
        try:
            schedule = selectors.schedule_visible(caller=caller, schedule_id=schedule_id)
        except ReportSchedule.DoesNotExist:
            raise NotFound(f"No schedule with id {schedule_id!r}.") from None
        if write and not caller.can(schedule.brand_id, Role.ADMIN):
            raise PermissionDenied(NOT_ADMIN)
        return schedule

    @extend_schema(
        summary="A report schedule",
        description="The schedule, its next run in UTC and in its timezone, and its last run's report." + ACCESS_DOC,
        parameters=[SCHEDULE_ID],
        responses={200: ScheduleSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
        examples=[
            OpenApiExample("A schedule", value=_EXAMPLE, response_only=True, status_codes=["200"]),
            OpenApiExample(
                "Unknown",
                value={"detail": "No schedule with id '3b0f6f0e-6a51-4d7e-9c55-0c4f1c2a9d10'."},
                response_only=True,
                status_codes=["404"],
            ),
        ],
    )
    def get(self, request: Request, schedule_id: str) -> Response:
        return _answer(self.schedule_of(request, schedule_id))

    @extend_schema(
        summary="Change a report schedule",
        description=(
            "Any of `name`, the times (`cron`, or `every` with `at`), `timezone`, `enabled`; the brand never "
            "changes (400 naming `brand`). " + _TIMES_DOC + " New times or a new timezone count from now: a time "
            "already past today does not run at once." + ACCESS_DOC
        ),
        parameters=[SCHEDULE_ID],
        request=ScheduleUpdateSerializer,
        responses={200: ScheduleSerializer, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
        examples=[
            OpenApiExample("Pause it", value={"enabled": False}, request_only=True),
            OpenApiExample("Move it", value={"every": "weekday", "at": "07:30"}, request_only=True),
        ],
    )
    def patch(self, request: Request, schedule_id: str) -> Response:
        schedule = self.schedule_of(request, schedule_id, write=True)
        asked = ScheduleUpdateSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        try:
            change = schedule_services.schedule_update(schedule=schedule, changes=dict(asked.validated_data))
        except ModelValidationError as exc:
            raise _model_errors(exc) from None
        if change.after:
            audit_request(
                request,
                action=Action.SCHEDULE_UPDATED,
                brand_ids=[schedule.brand_id],
                target=f"schedule {schedule.id} ({schedule.name})",
                detail={"before": change.before, "after": change.after},
            )
        return _answer(schedule)

    @extend_schema(
        summary="Delete a report schedule",
        description="The schedule and its beat entry go; its reports stay." + ACCESS_DOC,
        parameters=[SCHEDULE_ID],
        responses={204: None, 403: ErrorSerializer, 404: ErrorSerializer},
    )
    def delete(self, request: Request, schedule_id: str) -> Response:
        schedule = self.schedule_of(request, schedule_id, write=True)
        detail = _audit_detail(schedule)
        target = f"schedule {schedule.id} ({schedule.name})"
        schedule_services.schedule_delete(schedule=schedule)
        audit_request(
            request, action=Action.SCHEDULE_DELETED, brand_ids=[schedule.brand_id], target=target, detail=detail
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
