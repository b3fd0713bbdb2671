from django.urls import path

from health.apis import HealthApi, StatusApi

# Probe URLs get typed by hand in many places, so both spellings answer; the schema lists
# only the canonical one.
urlpatterns = [
    path("health", HealthApi.as_view(), name="health"),
    path("health/", HealthApi.as_view(schema=None)),
    path("status", StatusApi.as_view(), name="status"),
    path("status/", StatusApi.as_view(schema=None)),
]
