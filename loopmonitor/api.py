"""Project-wide API conventions: every error is JSON, never an HTML page."""

from django.http import JsonResponse
from rest_framework.views import exception_handler as drf_exception_handler


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
