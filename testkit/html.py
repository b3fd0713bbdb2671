"""What a test reads of an HTML page: the ids it defines (link targets) and its links."""

from __future__ import annotations

from html.parser import HTMLParser


class Page(HTMLParser):
    """`Page(text).ids` (every non-empty id) and `.links` (every non-empty <a href>)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
