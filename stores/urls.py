from django.urls import path

from stores import views

urlpatterns = [
    path("api/polls", views.PollPushView.as_view(), name="polls-push"),
]
