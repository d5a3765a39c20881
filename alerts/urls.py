from django.urls import path

from alerts import views

urlpatterns = [
    path("api/incidents/", views.IncidentListView.as_view(), name="incident-list"),
    # One store's incidents, under the stores' URLs (the stores app serves the rest).
    path("api/stores/<str:store_id>/incidents/", views.StoreIncidentListView.as_view(), name="store-incidents"),
]
