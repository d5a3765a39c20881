"""GET /metrics: the Prometheus exposition, for `Authorization: Bearer $METRICS_TOKEN` only."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from loopmonitor.api import ErrorSerializer, json_404
from loopmonitor.observability import collectors

REALM = 'Bearer realm="metrics"'


def bearer_token_matches(header: str, token: str) -> bool:
    """Whether an Authorization header is `Bearer <token>`, compared in constant time."""
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


class MetricsView(APIView):
    """The metrics of every web and worker process (README "Metrics").

    Not an API key and not a session: Prometheus sends the one token METRICS_TOKEN names.
    Without METRICS_TOKEN the endpoint is off and answers 404 to everyone, as an unknown
    URL does; with it, anything but that token is a 401, whatever the method.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]  # the token below is the permission

    def dispatch(self, request, *args, **kwargs):
        if not settings.METRICS_TOKEN:
            return json_404(request)  # byte for byte an unknown URL's answer: nothing says it exists
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not bearer_token_matches(request.headers.get("Authorization", ""), settings.METRICS_TOKEN):
            raise NotAuthenticated("Send Authorization: Bearer <METRICS_TOKEN>.")

    def get_authenticate_header(self, request) -> str:
        return REALM

    @extend_schema(
        summary="Prometheus metrics (Authorization: Bearer <METRICS_TOKEN>)",
        description=(
            "The loopmonitor_* metrics of every web and worker process in Prometheus' text format: requests, "
            "reports (status, duration, queue time), shards, tasks, queue length, polls stored, webhook "
            "deliveries. Off (404) unless the server sets METRICS_TOKEN; then only "
            "`Authorization: Bearer <METRICS_TOKEN>` is answered, not an API key."
        ),
        responses={
            (200, "text/plain"): OpenApiResponse(
                OpenApiTypes.STR,
                description="The exposition (text/plain; version=1.0.0).",
                examples=[
                    OpenApiExample(
                        "Metrics",
                        value="# TYPE loopmonitor_report_duration_seconds histogram\n"
                        'loopmonitor_report_duration_seconds_bucket{le="5.0"} 12.0\n',
                    )
                ],
            ),
            401: OpenApiResponse(ErrorSerializer, description="No token, or not METRICS_TOKEN."),
            404: OpenApiResponse(ErrorSerializer, description="Metrics are off: the server sets no METRICS_TOKEN."),
        },
    )
    def get(self, request):
        response = HttpResponse(generate_latest(collectors.registry()), content_type=CONTENT_TYPE_LATEST)
        response["Cache-Control"] = "no-store"
        return response
