"""Reading a /metrics page the way a test asserts on it: one value per sample."""

from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """{(sample name, sorted labels): value} of an exposition text."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def scrape(url: str) -> Samples:
    """One GET of a /metrics page (it must answer 200), as `samples`."""
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, f"{url}: {response.status_code} {response.text[:200]}"
    return samples(response.text)
