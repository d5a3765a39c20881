from django.urls import path

from reports import schedule_views, store_views, views

urlpatterns = [
    path("trigger_report", views.TriggerReportView.as_view(), name="trigger-report"),
    path("get_report", views.GetReportView.as_view(), name="get-report"),
    path("get_report/<str:report_id>", views.GetReportByPathView.as_view(), name="get-report-path"),
    path("api/reports/", views.ReportListView.as_view(), name="report-list"),
    path("api/schedules/", schedule_views.ScheduleListView.as_view(), name="schedule-list"),
    path("api/schedules/<str:schedule_id>", schedule_views.ScheduleDetailView.as_view(), name="schedule-detail"),
    path("reports/<str:report_id>/download", views.SignedDownloadView.as_view(), name="report-download-signed"),
    # One store's report values and week, under the stores' URLs (the stores app serves the rest).
    path("api/stores/<str:store_id>/uptime", store_views.StoreUptimeView.as_view(), name="store-uptime"),
    path(
        "api/stores/<str:store_id>/timeline.svg",
        store_views.StoreTimelineSvgView.as_view(),
        name="store-timeline-svg",
    ),
]
