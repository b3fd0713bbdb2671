from django.urls import path

from metrics.apis import MetricsSummaryApi

urlpatterns = [
    path("summary/", MetricsSummaryApi.as_view(), name="metrics-summary"),
]
