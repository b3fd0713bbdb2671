"""GET /runbook: docs/runbook.md as one HTML page, each heading its own anchor.

Every alert's `runbook_url` is `<RUNBOOK_BASE_URL>#<alertname in lower case>`, and
RUNBOOK_BASE_URL defaults to this page, so the page must give each `## <Alert>` section the
id `<alert>` (GitHub's anchors for the same file agree: lower case, spaces → hyphens).
Rendered once, when the app is built, with markdown-it-py (CommonMark: lists may follow a
paragraph line, as the runbook's do); raw HTML in the Markdown is escaped, not passed on.
"""

from __future__ import annotations

import html
import itertools
import re
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app
from markdown_it import MarkdownIt

# the repository's root here, /app in the image (alert-bridge/Dockerfile copies the file)
RUNBOOK_PATH = Path(__file__).resolve().parents[2] / "docs" / "runbook.md"

bp = Blueprint("runbook", __name__)

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — taskmgr</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto;
       padding: 0 1rem; color: #1f2328; }}
code {{ background: #f1f3f5; padding: .1em .3em; border-radius: 3px; }}
h2 {{ border-top: 1px solid #d0d7de; padding-top: 1rem; }}
h2:target {{ background: #fff8c5; }}
nav li {{ display: inline; margin-right: .8rem; }}
</style>
</head>
<body>
<nav><ul>{contents}</ul></nav>
{body}
</body>
</html>
"""


class RunbookError(RuntimeError):
    """The runbook file is missing or unreadable; the message names the path."""


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: `HighErrorRate` → `higherrorrate`,
    `The alert pipeline itself` → `the-alert-pipeline-itself`."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def render(markdown: str) -> str:
    """The whole HTML page for `markdown`: its headings carry ids, the second-level ones are
    listed at the top."""
    parser = MarkdownIt("commonmark", {"html": False})
    tokens = parser.parse(markdown)
    title, sections = "Runbook", []
    for opening, inline in itertools.pairwise(tokens):
        if opening.type != "heading_open":
            continue
        text = inline.content
        opening.attrSet("id", anchor(text))
        if opening.tag == "h1":
            title = text
        elif opening.tag == "h2":
            sections.append(text)
    contents = "".join(
        f'<li><a href="#{anchor(text)}">{html.escape(text)}</a></li>' for text in sections
    )
    body = parser.renderer.render(tokens, parser.options, {})
    return _PAGE.format(title=html.escape(title), contents=contents, body=body)


def load(path: Path = RUNBOOK_PATH) -> str:
    try:
        return render(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RunbookError(f"the runbook {path} cannot be read: {exc.strerror}") from exc


def init_app(app: Flask, path: Path = RUNBOOK_PATH) -> None:
    app.extensions["runbook_html"] = load(path)
    app.register_blueprint(bp)


@bp.get("/runbook")
def page() -> Response:
    return Response(current_app.extensions["runbook_html"], mimetype="text/html")
