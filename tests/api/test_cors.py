"""CORS is explicit: only CORS_ALLOWED_ORIGINS get the browser's permission."""

ALLOWED = "https://app.example.com"


def preflight(api_client, origin):
    return api_client.options(
        "/api/v1/tasks/",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )


def test_listed_origin_is_allowed(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]

    response = preflight(api_client, ALLOWED)

    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert "authorization" in response["Access-Control-Allow-Headers"]


def test_other_origins_get_no_cors_headers(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]

    assert "Access-Control-Allow-Origin" not in preflight(api_client, "https://evil.example")


def test_no_origin_is_allowed_by_default(api_client):
    assert "Access-Control-Allow-Origin" not in preflight(api_client, ALLOWED)
