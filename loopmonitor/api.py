"""Project-wide API plumbing shared by the `stores` and `reports` apps: every error is JSON, never an
HTML page; the Error shape; the body parsers; the `as_of` field. Imports neither app."""

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterable, Mapping

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework import ISO_8601, serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.utils import humanize_datetime


# The body of every error answer, component `Error` of the schema: a readable `detail`. (A comment,
# not a docstring: drf-spectacular would publish a docstring as the component's description.)
class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class AsOfField(serializers.DateTimeField):
    """An ISO 8601 instant (UTC when it has no offset), refused with the reason `problem(instant)` gives.

    `problem` returns None for an acceptable instant; the reports app passes the bounds of a
    report's T (after 1971, not in the future), so this module needs neither app. `parse`, when
    given, reads the text instead of DRF (the input files' parser, for reports): a ValueError it
    raises is the answer's reason, in its words ("2023-02-30 is not a date"); None from it means
    no instant at all, and gets DRF's own message.
    """

    def __init__(
        self,
        *,
        problem: Callable[[dt.datetime], str | None],
        parse: Callable[[str], dt.datetime | None] | None = None,
        **kwargs,
    ):
        self.problem = problem
        self.parse = parse
        super().__init__(**kwargs)

    def to_internal_value(self, value) -> dt.datetime:
        if self.parse is None:
            instant = super().to_internal_value(value)
        else:
            if not isinstance(value, str):
                formats = humanize_datetime.datetime_formats([ISO_8601])
                raise serializers.ValidationError(f"not a JSON string: an instant is text in the format {formats}")
            try:
                parsed = self.parse(value)
            except ValueError as exc:
                raise serializers.ValidationError(str(exc)) from None
            if parsed is None:  # "no instant at all": DRF's own message
                self.fail("invalid", format=humanize_datetime.datetime_formats([ISO_8601]))
            instant = self.enforce_timezone(parsed)
        if reason := self.problem(instant):
            raise serializers.ValidationError(reason)
        return instant


# A key is named in an answer by at most this many of its characters: the body is the caller's.
FIELD_NAME_SHOWN = 64


def unknown_fields(data: Mapping, known: Iterable[str]) -> dict[str, str]:
    """{key: why} for every key of the JSON object `data` that is none of `known`, in body order.

    A misspelt key would otherwise be ignored and its field take its default (`asof` would
    leave `as_of` to the latest poll), so it is refused, with the field it most likely meant:
    "unknown field 'asof' (did you mean 'as_of'?)", else the fields there are.
    """
    expected = list(known)
    return {
        str(key)[:FIELD_NAME_SHOWN]: _unknown_field_reason(str(key), expected) for key in data if key not in expected
    }


def _unknown_field_reason(key: str, expected: list[str]) -> str:
    shown = key[:FIELD_NAME_SHOWN]
    if meant := _closest(key, expected):
        return f"unknown field {shown!r} (did you mean {meant!r}?)"
    return f"unknown field {shown!r} (expected {', '.join(expected) or 'none'})"


def _closest(key: str, expected: list[str]) -> str | None:
    """The field `key` most likely meant: the same letters in another case or spacing (`asOf`,
    `as-of`), else the closest spelling difflib finds."""
    squeezed = _squeeze(key)
    for name in expected:
        if _squeeze(name) == squeezed:
            return name
    matches = difflib.get_close_matches(key.lower(), expected, n=1, cutoff=0.6)
    if matches:
        return matches[0]
    # A short form of one field only (`start` for start_time_local).
    starting = [name for name in expected if len(squeezed) >= 3 and _squeeze(name).startswith(squeezed)]
    return starting[0] if len(starting) == 1 else None


def _squeeze(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


# A serializer of a JSON object body that refuses keys it has no writable field for, listing them
# with every other field error at once (400: one entry per key, `unknown_fields`). Adopted as the
# first base: `class TriggerSerializer(KnownFieldsOnly, serializers.Serializer)`. Form and query
# data (a QueryDict) are not checked: only a JSON object names its keys on purpose. (A comment, not
# a docstring: drf-spectacular would publish it as the description of every serializer using it.)
class KnownFieldsOnly(serializers.Serializer):
    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, Mapping) and not hasattr(data, "getlist"):
            unknown = unknown_fields(data, [name for name, field in self.fields.items() if not field.read_only])
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not unknown or not isinstance(exc.detail, dict):
                raise
            raise serializers.ValidationError({**_listed(unknown), **exc.detail}) from None
        if unknown:
            raise serializers.ValidationError(_listed(unknown))
        return value


def _listed(reasons: dict[str, str]) -> dict[str, list[str]]:
    return {key: [reason] for key, reason in reasons.items()}


def refuse_nul(value: str, *, name: str) -> str:
    """`value` (a URL path segment or parameter) unchanged, or a 400 when it holds a NUL character:
    no stored text can hold one (PostgreSQL refuses it), so such a value can only be a bad request."""
    if "\x00" in value:
        raise ParseError(f"{name}: contains a NUL character.")
    return value


class CsvTextParser(BaseParser):
    """`text/csv` bodies, handed on as text (UTF-8, a BOM allowed)."""

    media_type = "text/csv"

    # DRF hands `request.data` whatever a parser returns; its stubs allow only a mapping.
    def parse(self, stream, media_type=None, parser_context=None) -> str:  # type: ignore[override]
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
    # Imported here: rest_framework.views reads DEFAULT_PARSER_CLASSES, which names this module's parser.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, list) or (isinstance(data, dict) and "detail" not in data):
        # Bounded: 100,000 bad items of a list answer with the first ERRORS_LISTED messages and the count.
        total = len(_flatten(data))
        more = ""
        if total > ERRORS_LISTED:
            data = _first_messages(data, [ERRORS_LISTED])
            more = f" ({total} errors; the first {ERRORS_LISTED} are listed)"
        if isinstance(data, list):
            response.data = {"detail": " ".join(_flatten(data)) + more}
        else:
            fields = "; ".join(f"{field}: {' '.join(_flatten(errors))}" for field, errors in data.items())
            response.data = {"detail": fields + more, **data}
    return response


ERRORS_LISTED = 100


def _first_messages(errors, budget: list[int]):
    """`errors` (nested dicts and lists of messages) cut to its first `budget[0]` messages."""
    if isinstance(errors, dict | list | tuple):
        items = errors.items() if isinstance(errors, dict) else enumerate(errors)
        kept = []
        for key, value in items:
            if budget[0] <= 0:
                break
            kept.append((key, _first_messages(value, budget)))
        return dict(kept) if isinstance(errors, dict) else [value for _, value in kept]
    budget[0] -= 1
    return errors


def _flatten(errors) -> list[str]:
    if isinstance(errors, dict):
        return [f"{key}: {message}" for key, value in errors.items() for message in _flatten(value)]
    if isinstance(errors, (list, tuple)):
        return [message for item in errors for message in _flatten(item)]
    return [str(errors)]


def body_too_large(length: int | None = None) -> JsonResponse:
    """The 413 answer (Error shape) for a body over DATA_UPLOAD_MAX_MEMORY_SIZE bytes."""
    size = f"of {length} bytes " if length is not None else ""
    return JsonResponse(
        {
            "detail": f"Request body {size}larger than the limit of {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes "
            "(DATA_UPLOAD_MAX_MEMORY_SIZE); send a smaller one (polls in bulk: manage.py load_data)."
        },
        status=413,
    )


class BodySizeLimitMiddleware:
    """A request declaring a body over DATA_UPLOAD_MAX_MEMORY_SIZE bytes is answered 413 JSON on every URL,
    before anything reads it.

    Django only refuses such a body when something reads it, and then as a 400 (RequestDataTooBig is a
    SuspiciousOperation), or in DEBUG as an HTML page. The declared length is all that is ever read:
    Django reads no further than Content-Length, and a body without one is empty.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # as Django reads it: no body
        if limit is not None and length > limit:
            return body_too_large(length)
        return self.get_response(request)


def json_404(request, exception=None):
    return JsonResponse({"detail": "Not found."}, status=404)


def json_500(request):
    return JsonResponse({"detail": "Internal server error."}, status=500)


def json_400(request, exception=None):
    if isinstance(exception, RequestDataTooBig):  # a form's fields over the limit, however declared
        return body_too_large()
    return JsonResponse({"detail": "Bad request."}, status=400)


_ERROR_REF = {"$ref": "#/components/schemas/Error"}


def schema_document_auth_and_throttling(result, generator, request, public):
    """drf-spectacular postprocessing hook: the answers every endpoint shares.

    401 (no key, a wrong or revoked key) and 403 (a caller whose role does not allow it) on every
    operation that needs a key, 413 and 415 on every operation that takes a body, and 429 on POST
    /trigger_report (throttled per key), all with the Error body.
    """
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            if operation.get("security") != [{}] and "401" not in responses:
                responses["401"] = {
                    "description": "No API key, or a wrong or revoked one (`Authorization: Token <key>`).",
                    "content": {"application/json": {"schema": _ERROR_REF}},
                }
            if operation.get("security") != [{}] and "403" not in responses:
                responses["403"] = {
                    "description": "The caller holds no role that allows this: a platform staff endpoint, or no "
                    "brand where it is viewer (reads) or operator (writes). Another brand's object is never a "
                    "403: it is a 404, exactly as one that does not exist.",
                    "content": {"application/json": {"schema": _ERROR_REF}},
                }
            if "requestBody" in operation:
                responses.setdefault(
                    "413",
                    {
                        "description": "A body over DATA_UPLOAD_MAX_MEMORY_SIZE bytes (10 MB by default).",
                        "content": {"application/json": {"schema": _ERROR_REF}},
                    },
                )
                kinds = ", ".join(f"`{kind}`" for kind in operation["requestBody"].get("content", {}))
                responses.setdefault(
                    "415",
                    {
                        "description": f"A body of a media type this operation does not read (it reads {kinds}).",
                        "content": {"application/json": {"schema": _ERROR_REF}},
                    },
                )
            if path == "/trigger_report" and method == "post":
                responses.setdefault(
                    "429",
                    {
                        "description": "Too many reports triggered with this key (REPORT_TRIGGER_RATE).",
                        "content": {"application/json": {"schema": _ERROR_REF}},
                    },
                )
    return result
