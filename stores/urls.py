from django.urls import path

from stores import views

urlpatterns = [
    path("api/polls", views.PollPushView.as_view(), name="polls-push"),
    path("api/stores/", views.StoreListView.as_view(), name="store-list"),
    path("api/stores/<str:store_id>", views.StoreDetailView.as_view(), name="store-detail"),
]
