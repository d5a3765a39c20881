"""Project-wide API plumbing shared by the `stores` and `reports` apps: every error is JSON, never an
HTML page; the Error shape; the body parsers; the `as_of` field. Imports neither app."""

import datetime as dt
from collections.abc import Callable

from django.http import JsonResponse
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.views import exception_handler as drf_exception_handler


# The body of every error answer, component `Error` of the schema: a readable `detail`. (A comment,
# not a docstring: drf-spectacular would publish a docstring as the component's description.)
class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class AsOfField(serializers.DateTimeField):
    """An ISO 8601 instant (UTC when it has no offset), refused with the reason `problem(instant)` gives.

    `problem` returns None for an acceptable instant; the reports app passes the bounds of a
    report's T (after 1971, not in the future), so this module needs neither app.
    """

    def __init__(self, *, problem: Callable[[dt.datetime], str | None], **kwargs):
        self.problem = problem
        super().__init__(**kwargs)

    def to_internal_value(self, value) -> dt.datetime:
        instant = super().to_internal_value(value)
        if reason := self.problem(instant):
            raise serializers.ValidationError(reason)
        return instant


def refuse_nul(value: str, *, name: str) -> str:
    """`value` (a URL path segment or parameter) unchanged, or a 400 when it holds a NUL character:
    no stored text can hold one (PostgreSQL refuses it), so such a value can only be a bad request."""
    if "\x00" in value:
        raise ParseError(f"{name}: contains a NUL character.")
    return value


class CsvTextParser(BaseParser):
    """`text/csv` bodies, handed on as text (UTF-8, a BOM allowed)."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None) -> str:
        body = stream.read() if stream is not None else b""
        try:
            return body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ParseError("The CSV body is not UTF-8 text.") from None


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, with a deeply nested body a 400 rather than a RecursionError (500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None


def exception_handler(exc, context):
    """DRF's handler, with a readable `detail` string always present (the documented Error shape).

    Validation errors keep their per-field messages beside it, e.g.
    {"detail": "as_of: Datetime has wrong format...", "as_of": ["Datetime has wrong format..."]}.
    """
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(response.data, list):
        response.data = {"detail": " ".join(_flatten(response.data))}
    elif isinstance(response.data, dict) and "detail" not in response.data:
        response.data = {
            "detail": "; ".join(f"{field}: {' '.join(_flatten(errors))}" for field, errors in response.data.items()),
            **response.data,
        }
    return response


def _flatten(errors) -> list[str]:
    if isinstance(errors, dict):
        return [f"{key}: {message}" for key, value in errors.items() for message in _flatten(value)]
    if isinstance(errors, (list, tuple)):
        return [message for item in errors for message in _flatten(item)]
    return [str(errors)]


def json_404(request, exception=None):
    return JsonResponse({"detail": "Not found."}, status=404)


def json_500(request):
    return JsonResponse({"detail": "Internal server error."}, status=500)


def json_400(request, exception=None):
    return JsonResponse({"detail": "Bad request."}, status=400)


_ERROR_REF = {"$ref": "#/components/schemas/Error"}


def schema_document_auth_and_throttling(result, generator, request, public):
    """drf-spectacular postprocessing hook: the answers every endpoint shares.

    401 (no key, a wrong or revoked key) on every operation that needs one, and
    429 on POST /trigger_report (throttled per key), both with the Error body.
    """
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            if operation.get("security") != [{}] and "401" not in responses:
                responses["401"] = {
                    "description": "No API key, or a wrong or revoked one (`Authorization: Token <key>`).",
                    "content": {"application/json": {"schema": _ERROR_REF}},
                }
            if path == "/trigger_report" and method == "post":
                responses.setdefault(
                    "429",
                    {
                        "description": "Too many reports triggered with this key (REPORT_TRIGGER_RATE).",
                        "content": {"application/json": {"schema": _ERROR_REF}},
                    },
                )
    return result
