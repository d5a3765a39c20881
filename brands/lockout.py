"""The answer to a login while its account is locked out (django-axes' AXES_LOCKOUT_CALLABLE)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse


def locked_out_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """429 with a page that says the account is locked, after how many failures and for how many
    minutes (AXES_FAILURE_LIMIT, AXES_COOLOFF_TIME)."""
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60) if settings.AXES_COOLOFF_TIME else None
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    context = {"username": username, "failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes}
    response = TemplateResponse(request, "brands/locked_out.html", context, status=429)
    return response.render()
