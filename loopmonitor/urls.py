from django.contrib import admin
from django.urls import include, path

from reports import views as report_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", report_views.HealthView.as_view(), name="healthz"),
    path("", include("reports.urls")),
    path("", include("stores.urls")),
]

handler404 = "loopmonitor.api.json_404"
handler500 = "loopmonitor.api.json_500"
handler400 = "loopmonitor.api.json_400"
