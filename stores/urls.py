from django.urls import path

from stores import views

urlpatterns = [
    path("api/polls", views.PollPushView.as_view(), name="polls-push"),
    path("api/stores/", views.StoreListView.as_view(), name="store-list"),
    path("api/stores/<str:store_id>", views.StoreDetailView.as_view(), name="store-detail"),
    path("api/stores/<str:store_id>/uptime", views.StoreUptimeView.as_view(), name="store-uptime"),
    path("api/stores/<str:store_id>/timeline.svg", views.StoreTimelineSvgView.as_view(), name="store-timeline-svg"),
]
