"""The notifications API, under /api/ (loopmonitor/urls.py)."""

from django.urls import path

from notifications import views

urlpatterns = [
    path("webhooks/", views.WebhookListView.as_view(), name="webhook-list"),
    path("webhooks/<str:webhook_id>", views.WebhookDetailView.as_view(), name="webhook-detail"),
    path("webhooks/<str:webhook_id>/ping", views.WebhookPingView.as_view(), name="webhook-ping"),
    path("webhooks/<str:webhook_id>/deliveries/", views.WebhookDeliveriesView.as_view(), name="webhook-deliveries"),
    path("email-recipients/", views.RecipientListView.as_view(), name="email-recipient-list"),
    path("email-recipients/<str:recipient_id>", views.RecipientDetailView.as_view(), name="email-recipient-detail"),
]
