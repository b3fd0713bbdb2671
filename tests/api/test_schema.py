"""OpenAPI schema by ?format= and by Accept; Swagger UI and ReDoc with local assets only."""

import json
import re
from urllib.parse import urlsplit

import pytest
import yaml

SCHEMA = "/api/v1/schema/"


def _paths(document: dict) -> set[str]:
    return set(document["paths"])


@pytest.mark.parametrize(
    ("query", "accept", "content_type", "load"),
    [
        ("?format=json", None, "application/vnd.oai.openapi+json", json.loads),
        ("?format=yaml", None, "application/vnd.oai.openapi", yaml.safe_load),
        ("", "application/vnd.oai.openapi+json", "application/vnd.oai.openapi+json", json.loads),
        ("", "application/vnd.oai.openapi", "application/vnd.oai.openapi", yaml.safe_load),
    ],
)
def test_schema_formats(api_client, query, accept, content_type, load):
    headers = {"HTTP_ACCEPT": accept} if accept else {}

    response = api_client.get(SCHEMA + query, **headers)

    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    document = load(response.content.decode())
    assert document["openapi"].startswith("3.")
    assert {
        "/api/v1/auth/register/",
        "/api/v1/auth/token/",
        "/api/v1/auth/logout/",
        "/api/v1/tasks/",
        "/api/v1/tasks/{id}/",
        "/api/v1/tasks/{id}/mark_done/",
        "/api/v1/tasks/stats/",
        "/health",
        "/status",
    } <= _paths(document)


def test_schema_documents_the_task_list_parameters(api_client):
    document = api_client.get(SCHEMA + "?format=json").json()

    names = {p["name"] for p in document["paths"]["/api/v1/tasks/"]["get"]["parameters"]}
    assert {"status", "priority", "search", "ordering", "page", "page_size", "created_after",
            "created_before", "due_date", "due_after", "due_before"} <= names  # fmt: skip


def _asset_urls(html: str) -> list[str]:
    return re.findall(r'<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"]+)"', html)


@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_docs_pages_load_every_asset_from_the_app_itself(api_client, page):
    response = api_client.get(page)
    assert response.status_code == 200
    html = response.content.decode()

    assets = _asset_urls(html)

    assert assets, html
    for url in assets:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{page} loads {url} from elsewhere"
        asset = api_client.get(url)
        assert asset.status_code == 200, url
        b"".join(asset.streaming_content) if asset.streaming else asset.content
    assert "googleapis" not in html and "cdn." not in html


def test_schema_documents_the_alert_record_fields_of_schema_3(api_client):
    document = api_client.get(SCHEMA + "?format=json").json()

    record = document["components"]["schemas"]["AlertRecord"]["properties"]
    assert {"culprits", "culprits_note", "resolved_value", "peak_value", "resolved_note",
            "duration_seconds", "acknowledged_by", "acknowledged_at", "ack_comment",
            "silence_ids"} <= set(record)  # fmt: skip
    culprit = document["components"]["schemas"]["Culprit"]["properties"]
    assert set(culprit) == {"route", "value"}
    assert record["resolved_value"]["nullable"] is True


def test_every_operation_is_tagged_by_a_described_resource(api_client):
    document = api_client.get(SCHEMA + "?format=json").json()

    described = {tag["name"]: tag["description"] for tag in document["tags"]}
    used = {
        path: operation["tags"]
        for path, operations in document["paths"].items()
        for operation in operations.values()
    }
    assert set(described) == {"auth", "tasks", "alerts", "metrics", "health"}
    assert all(described.values())
    assert all(len(tags) == 1 and tags[0] in described for tags in used.values()), used
    assert used["/api/v1/tasks/"] == ["tasks"] and used["/status"] == ["health"]


def _headers(operation: dict) -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}


def test_the_task_operations_document_their_conditional_headers_and_answers(api_client):
    paths = api_client.get(SCHEMA + "?format=json").json()["paths"]
    tasks, task = paths["/api/v1/tasks/"], paths["/api/v1/tasks/{id}/"]
    done = paths["/api/v1/tasks/{id}/mark_done/"]["post"]

    assert _headers(tasks["post"]) == {"Idempotency-Key"}
    assert {"409", "422"} <= set(tasks["post"]["responses"])
    assert _headers(done) == {"Idempotency-Key", "If-Match"}
    assert {"409", "412", "422"} <= set(done["responses"])
    assert _headers(task["get"]) == {"If-None-Match"}
    assert "304" in task["get"]["responses"] and "content" not in task["get"]["responses"]["304"]
    for method in ("put", "patch", "delete"):
        assert _headers(task[method]) == {"If-Match"}
        assert "412" in task[method]["responses"]
    assert _headers(tasks["get"]) == set()  # the list: no conditional headers
