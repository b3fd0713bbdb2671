from django.urls import path

from alerts.apis import AlertDetailApi, AlertListApi, AlertStatsApi

urlpatterns = [
    path("", AlertListApi.as_view(), name="alert-list"),
    # before the detail route, whose <str:alert_id> would otherwise take "stats"
    path("stats/", AlertStatsApi.as_view(), name="alert-stats"),
    path("<str:alert_id>/", AlertDetailApi.as_view(), name="alert-detail"),
]
