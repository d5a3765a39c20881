from django.urls import path

from stores import views

urlpatterns = [
    path("api/polls", views.PollPushView.as_view(), name="polls-push"),
    path("api/stores/", views.StoreListView.as_view(), name="store-list"),
    path("api/stores/<str:store_id>", views.StoreDetailView.as_view(), name="store-detail"),
    path("api/stores/<str:store_id>/hours", views.StoreHoursView.as_view(), name="store-hours"),
    path(
        "api/stores/<str:store_id>/special-days/<str:date>",
        views.StoreSpecialDayView.as_view(),
        name="store-special-day",
    ),
    path("api/special-days", views.SpecialDaysPushView.as_view(), name="special-days-push"),
]
