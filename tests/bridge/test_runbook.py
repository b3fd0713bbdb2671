"""GET /runbook: docs/runbook.md as the page every alert's runbook link opens (bridge.runbook)."""

import re

import pytest
import yaml

from bridge import create_app, runbook
from testkit.html import Page
from tests.bridge.conftest import REPO

RULES = REPO / "prometheus" / "rules" / "taskmgr.yml"


def alertnames() -> list[str]:
    """Every alert the rules define (the template parses as YAML: placeholders are quoted)."""
    rules = yaml.safe_load(RULES.read_text())["groups"][0]["rules"]
    return [rule["alert"] for rule in rules if "alert" in rule]


@pytest.fixture
def page(client) -> Page:
    response = client.get("/runbook")  # no token: it is documentation, holding no secret
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    return Page(response.get_data(as_text=True))


def test_every_alert_has_its_section_at_its_lower_case_name(page):
    names = alertnames()
    assert "HighErrorRate" in names and "AlertmanagerNotificationsFailing" in names
    missing = [name for name in names if name.lower() not in page.ids]
    assert not missing, f"docs/runbook.md lacks a section for {missing}"


def test_the_page_shows_the_runbooks_text_with_its_contents_linked(client, page):
    text = client.get("/runbook").get_data(as_text=True)
    assert "<title>Runbook — taskmgr</title>" in text
    assert '<h2 id="higherrorrate">HighErrorRate</h2>' in text
    assert "<strong>Means:</strong>" in text
    contents = [link for link in page.links if link.startswith("#")]
    assert {f"#{name.lower()}" for name in alertnames()} <= set(contents)
    assert all(link[1:] in page.ids for link in contents)


def test_the_readmes_links_into_the_runbook_land_on_a_section(page):
    readme = (REPO / "README.md").read_text()
    fragments = re.findall(r"\(docs/runbook\.md#([\w-]+)\)", readme)
    assert fragments, "the README links into the runbook"
    assert [f for f in fragments if f not in page.ids] == []


def test_headings_get_githubs_anchors():
    assert runbook.anchor("HighErrorRate") == "higherrorrate"
    assert runbook.anchor("The alert pipeline itself") == "the-alert-pipeline-itself"
    assert runbook.anchor("What's `this`?") == "whats-this"


def test_raw_html_in_the_markdown_is_shown_as_text_never_run():
    html = runbook.render("# T\n\n<script>alert(1)</script>\n\nand <b>bold</b>\n")
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_missing_runbook_stops_the_bridge_naming_the_file(config, tmp_path):
    missing = tmp_path / "docs" / "runbook.md"
    app = create_app(config)
    with pytest.raises(runbook.RunbookError, match=re.escape(f"the runbook {missing} cannot")):
        runbook.init_app(app, missing)
