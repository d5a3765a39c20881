from django.urls import path

from reports.pages import IndexView

urlpatterns = [path("", IndexView.as_view(), name="index")]
