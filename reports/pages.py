"""The small web page at `/`: a Django template plus plain JavaScript that calls the public API.

The page holds no logic of its own: it triggers and polls reports, lists them,
and looks stores up through the same endpoints as any other client (README).
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.generic import TemplateView


# The page posts to /trigger_report with the token from the `csrftoken` cookie
# (X-CSRFToken); the template never renders {% csrf_token %}, so the cookie has
# to be set explicitly.
@method_decorator(ensure_csrf_cookie, name="dispatch")
class IndexView(LoginRequiredMixin, TemplateView):
    """GET /: trigger and watch reports, list recent ones, look a store up (logged-in users; the API
    calls ride on the session)."""

    template_name = "reports/index.html"
