from django.urls import path

from reports import store_views, views

urlpatterns = [
    path("trigger_report", views.TriggerReportView.as_view(), name="trigger-report"),
    path("get_report", views.GetReportView.as_view(), name="get-report"),
    path("get_report/<str:report_id>", views.GetReportByPathView.as_view(), name="get-report-path"),
    path("api/reports/", views.ReportListView.as_view(), name="report-list"),
    path("reports/<str:report_id>/download", views.SignedDownloadView.as_view(), name="report-download-signed"),
    # One store's report values and week, under the stores' URLs (the stores app serves the rest).
    path("api/stores/<str:store_id>/uptime", store_views.StoreUptimeView.as_view(), name="store-uptime"),
    path(
        "api/stores/<str:store_id>/timeline.svg",
        store_views.StoreTimelineSvgView.as_view(),
        name="store-timeline-svg",
    ),
]
