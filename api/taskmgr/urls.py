"""Root URL layout. Routes of the metrics/alerts apps go in the marked lists."""

from django.contrib.staticfiles.views import serve as serve_static
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from metrics.exposition import metrics_view

api_v1 = [
    path("auth/", include("accounts.urls")),
    path("", include("tasks.urls")),
    path("metrics/", include("metrics.urls")),
    path("alerts/", include("alerts.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="schema", template_name="docs/redoc.html"),
        name="redoc",
    ),
]

urlpatterns = [
    path("", include("health.urls")),
    path("metrics", metrics_view, name="metrics"),
    path("metrics/", metrics_view),
    path("api/v1/", include(api_v1)),
    # The docs' assets (drf-spectacular-sidecar) come from the app itself, DEBUG or not:
    # the staticfiles finders serve only files shipped inside installed apps.
    re_path(r"^static/(?P<path>.*)$", serve_static, {"insecure": True}),
]

handler400 = "taskmgr.errors.bad_request"
handler403 = "taskmgr.errors.permission_denied"
handler404 = "taskmgr.errors.not_found"
handler500 = "taskmgr.errors.server_error"
