from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from loopmonitor.observability.views import MetricsView
from reports import views as report_views

# The admin speaks of the product, as every page does (its own login is the page's, brands/page_urls.py).
admin.site.site_header = "loopmonitor administration"
admin.site.site_title = "loopmonitor admin"
admin.site.index_title = "Stores, reports, brands and keys"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", report_views.HealthView.as_view(), name="healthz"),
    path("healthz/web", report_views.WebHealthView.as_view(), name="healthz-web"),
    path("metrics", MetricsView.as_view(), name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/brands/", include("brands.urls")),
    path("api/", include("notifications.urls")),
    path("", include("brands.page_urls")),
    path("", include("reports.urls")),
    path("", include("stores.urls")),
    path("", include("alerts.urls")),
    path("", include("reports.page_urls")),
]

handler404 = "loopmonitor.api.json_404"
handler500 = "loopmonitor.api.json_500"
handler400 = "loopmonitor.api.json_400"
