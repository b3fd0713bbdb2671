"""Every link a person is given opens a real page on `make run` (issue 12): the links of a
real firing Slack message, every README link to the local stack and every link of the runbook
page the bridge serves, followed on a live fast-profile stack (Debian's Prometheus 2.42 with
only its classic UI, Alertmanager without a web UI, no Grafana).

"Real page": 200 after redirects, not a page saying it is missing (Prometheus' "404 page not
found", Debian's Alertmanager placeholder), and a `#fragment` names an element of the page.
Docs are written with `make run`'s default ports; they are mapped to the stack's own. The
README's `curl` lines are API calls (a method, a body, a token), not pages to open: the API
tests cover them. Compose's links (official images, with UIs) are checked in its rendered
configuration (tests/stack/test_compose.py).
"""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from stack.settings import REPO
from stack.settings.table import BY_NAME
from testkit.html import Page
from testkit.polling import wait_until
from testkit.traffic import Traffic

pytestmark = pytest.mark.e2e

DEADLINE = 90
PORTS = ("API_PORT", "BRIDGE_PORT", "OUTBOX_METRICS_PORT", "PROMETHEUS_PORT", "ALERTMANAGER_PORT")
LOCAL = re.compile(r"https?://(?:localhost|127\.0\.0\.1)(?::\d+)?[^\s)`'\"<>,]*")
# what a page that is no page says, though some answer 200
NOT_A_PAGE = (
    "404 page not found",  # Prometheus, e.g. /alerts of Debian's classic-only 2.42
    "does not include a web application",  # Debian's Alertmanager: its whole "UI"
)


def _on_stack(stack, url: str) -> str:
    """A docs URL written with make run's default ports → the same place on this stack."""
    parts = urlsplit(url)
    ports = {BY_NAME[name].default: str(stack.ports[name]) for name in PORTS}
    assert str(parts.port) in ports, f"{url}: not a port of the stack"
    return parts._replace(netloc=f"127.0.0.1:{ports[str(parts.port)]}").geturl()


def _opens(url: str) -> requests.Response:
    """GET `url` as a browser would (following redirects); it must be a real page."""
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    body = response.text
    assert body.strip(), f"{url}: an empty page"
    words = " ".join(re.sub(r"<[^>]+>", " ", body).split())
    assert not [m for m in NOT_A_PAGE if m in words], f"{url} is no page:\n{words[:500]}"
    fragment = urlsplit(url).fragment
    if fragment:
        assert fragment in Page(body).ids, f"{url}: the page has no #{fragment}"
    return response


def _buttons(message: dict) -> dict[str, str]:
    return {
        element["text"]["text"]: element["url"]
        for attachment in message.get("attachments", [])
        for block in attachment["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }


def test_every_link_of_a_firing_message_opens_a_real_page(stack_factory):
    stack = stack_factory()
    traffic = Traffic(f"{stack.api_url}/api/v1/docs/", rate=20.0).start()
    try:
        time.sleep(3)  # a healthy baseline first
        traffic.set_headers({"X-Fault-Status": "503"})
        message = wait_until(
            lambda: next(
                (m for m in stack.slack.received if "[FIRING] HighErrorRate" in m["text"]), None
            ),
            timeout=DEADLINE,
            what=f"the HighErrorRate firing message\n{stack.logs()}",
        )
    finally:
        traffic.stop()

    links = _buttons(message)
    # make run: no Grafana configured and an Alertmanager without web UI, so neither link
    assert "Grafana" not in links and "Silence" not in links
    assert {"Prometheus graph", "Runbook"} <= set(links)
    for url in links.values():
        _opens(url)

    # the graph is of the alert's own expression, which Prometheus evaluates
    graph = urlsplit(links["Prometheus graph"])
    assert f"{graph.scheme}://{graph.netloc}" == stack.prometheus_url
    (expr,) = parse_qs(graph.query)["g0.expr"]
    assert "taskmgr:http_errors_per_requests:ratio" in expr
    found = requests.get(f"{stack.prometheus_url}/api/v1/query", params={"query": expr}, timeout=5)
    assert found.status_code == 200 and found.json()["status"] == "success", found.text
    # the runbook link is the bridge's own page, at the alert's section
    assert links["Runbook"] == f"{stack.bridge_url}/runbook#higherrorrate"

    # every README link to the local stack (make run's ports), curl's API calls aside
    readme = [
        url
        for line in (REPO / "README.md").read_text().splitlines()
        if "curl " not in line
        for url in LOCAL.findall(line)
    ]
    assert f"http://127.0.0.1:{BY_NAME['PROMETHEUS_PORT'].default}/classic/alerts" in readme
    for url in readme:
        _opens(_on_stack(stack, url))

    # every link of the runbook page: its sections, and the stack's pages it points at
    page = Page(_opens(f"{stack.bridge_url}/runbook").text)
    assert page.links
    for href in page.links:
        if href.startswith("#"):
            assert href[1:] in page.ids, href
        else:
            assert LOCAL.fullmatch(href), f"runbook link {href} is not on the local stack"
            _opens(_on_stack(stack, href))
