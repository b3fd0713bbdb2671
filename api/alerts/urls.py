from django.urls import path

from alerts.apis import AlertDetailApi, AlertListApi

urlpatterns = [
    path("", AlertListApi.as_view(), name="alert-list"),
    path("<str:alert_id>/", AlertDetailApi.as_view(), name="alert-detail"),
]
