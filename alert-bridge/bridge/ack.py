"""Acknowledge from the Slack message: a signed link → a small page → Alertmanager silences.

Each firing (and reminder) message carries `link(config, alert_id, now)`:
`<BRIDGE_EXTERNAL_URL>/ack/<id>?expires=<epoch>&sig=<hex>`, where `sig` is
HMAC-SHA256(ACK_SIGNING_KEY, id + expiry). The link is a bearer capability, valid and
reusable until it expires (ACK_LINK_TTL_SECONDS after the message was sent). A forged
(wrong key) or altered (other id or expiry) link gets 403, an expired one 410: an HTML page
saying so, and nothing changes.

GET shows the alert and a form (name, duration, comment). POST silences exactly the alert's
labels on every Alertmanager in ALERTMANAGER_URLS (one away does not fail the others; none
→ 502, nothing stored), then `writer.acknowledge` stores who, when and the silence ids and
queues one `acknowledged` message. The first acknowledge wins: a later one (or one racing
it) changes nothing and shows who acknowledged; silences made by a racing loser are expired.

CSRF: there is no cookie or session here, so no ambient authority a cross-site post could
ride on; the POST must carry the signed link itself (hidden fields), checked as on GET. A
browser's `Origin`, when sent, must be this bridge (its external URL or the host it was
reached at): a page elsewhere cannot post on the on-call person's behalf even with a link
it learned. The pages send no Referer, cannot be framed and are not cached. The signing key
and signatures are never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

import redis
import requests
from flask import Blueprint, current_app, render_template, request

from alertstore import reader, records, writer
from bridge.config import BridgeConfig
from bridge.store import get_redis
from stack import durations

log = logging.getLogger(__name__)

bp = Blueprint("ack", __name__)

HTTP_TIMEOUT_SECONDS = 5.0
MIN_DURATION_SECONDS, MAX_DURATION_SECONDS = 60, 86400  # a silence longer than a day
# hides the alert's next occurrences too: an acknowledge is "I am on it", not maintenance
DURATIONS = ("30m", "1h", "4h")  # offered in the form; any duration in bounds is accepted
DEFAULT_DURATION = "1h"
MAX_NAME, MAX_COMMENT = 80, 500
_ID = re.compile(r"[0-9a-f]{20}")  # records.alert_id
_SIG = re.compile(r"[0-9a-f]{64}")
_EXPIRES = re.compile(r"[0-9]{1,12}")

FORGED = "This Acknowledge link is not valid: it was not issued by this bridge, or it was changed."
EXPIRED = "This Acknowledge link expired at {at}."
UNCHANGED = "Nothing was changed."
NO_ALERTMANAGER = "No Alertmanager could create the silence ({detail}); nothing was acknowledged."


def signature(key: str, alert_id: str, expires: int) -> str:
    message = f"taskmgr-ack\n{alert_id}\n{expires}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def link(config: BridgeConfig, alert_id: str, now: datetime) -> str:
    """The Acknowledge URL of `alert_id`, valid for ACK_LINK_TTL_SECONDS from `now`."""
    expires = int(now.timestamp()) + config.ack_link_ttl_seconds
    query = urlencode(
        {"expires": expires, "sig": signature(config.ack_signing_key, alert_id, expires)}
    )
    return f"{config.external_url}/ack/{alert_id}?{query}"


def link_problem(key: str, alert_id: str, expires: str, sig: str, now: datetime):
    """(status, message) refusing the link, or None when it is valid now. The signature is
    checked first (in constant time), so an altered expiry is forged, not expired."""
    well_formed = _ID.fullmatch(alert_id) and _EXPIRES.fullmatch(expires) and _SIG.fullmatch(sig)
    if not well_formed or not hmac.compare_digest(
        sig.encode(), signature(key, alert_id, int(expires)).encode()
    ):
        return 403, FORGED
    if int(expires) <= now.timestamp():
        at = datetime.fromtimestamp(int(expires), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return 410, EXPIRED.format(at=at)
    return None


@dataclass(frozen=True)
class Form:
    name: str
    seconds: int
    duration: str
    comment: str


def parse_form(fields) -> tuple[Form | None, dict[str, str]]:
    """The form's values, or the problem with each bad field (field → message)."""
    name = " ".join(fields.get("name", "").split())
    duration = fields.get("duration", "").strip()
    comment = fields.get("comment", "").strip()
    problems = {}
    if not name:
        problems["name"] = "Give your name, so others know who is on it."
    elif len(name) > MAX_NAME:
        problems["name"] = f"The name must be at most {MAX_NAME} characters."
    try:
        seconds = int(durations.seconds(duration))
    except ValueError:
        seconds = -1
    if not MIN_DURATION_SECONDS <= seconds <= MAX_DURATION_SECONDS:
        problems["duration"] = (
            "The duration must be between 1m and 24h, written like 30m, 1h or 1h30m."
        )
    if len(comment) > MAX_COMMENT or re.search(r"[\x00-\x08\x0b-\x1f\x7f]", comment):
        problems["comment"] = f"The comment must be at most {MAX_COMMENT} characters of text."
    if problems:
        return None, problems
    return Form(name, seconds, duration, comment), {}


def silence_body(record: dict, form: Form, now: datetime) -> dict:
    """An Alertmanager v2 silence matching exactly the alert's labels, from now on."""
    matchers = [
        {"name": name, "value": value, "isRegex": False, "isEqual": True}
        for name, value in sorted(record["labels"].items())
    ]
    comment = f"Acknowledged via taskmgr (alert {record['id']})"
    return {
        "matchers": matchers,
        "startsAt": records.isoformat(now),
        "endsAt": records.isoformat(now + timedelta(seconds=form.seconds)),
        "createdBy": form.name,
        "comment": f"{comment}: {form.comment}" if form.comment else comment,
    }


def create_silences(urls: tuple[str, ...], body: dict) -> tuple[dict[str, str], list[str]]:
    """({Alertmanager URL: silence id}, problems): every Alertmanager is asked, whatever
    the others answer."""
    created, problems = {}, []
    for url in urls:
        try:
            response = requests.post(
                f"{url}/api/v2/silences", json=body, timeout=HTTP_TIMEOUT_SECONDS
            )
            if response.status_code != 200:
                problems.append(f"{url}: HTTP {response.status_code} {response.text[:200].strip()}")
                continue
            created[url] = str(response.json()["silenceID"])
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            problems.append(f"{url}: {type(exc).__name__}")
    return created, problems


def expire_silences(created: dict[str, str]) -> None:
    for url, silence_id in created.items():
        try:
            requests.delete(f"{url}/api/v2/silence/{silence_id}", timeout=HTTP_TIMEOUT_SECONDS)
        except requests.RequestException as exc:
            log.warning(
                "could not expire silence %s on %s: %s", silence_id, url, type(exc).__name__
            )


@bp.route("/ack/<alert_id>", methods=["GET", "POST"])
def acknowledge(alert_id: str):
    """The alert and the form (GET) or the acknowledge (POST): 200 · 400 bad form · 403
    forged or foreign-origin · 404 no such alert · 409 resolved · 410 expired · 502 no
    Alertmanager · 503 Redis away."""
    config: BridgeConfig = current_app.config["BRIDGE"]
    now = datetime.now(UTC)
    source = request.form if request.method == "POST" else request.args
    expires, sig = source.get("expires", ""), source.get("sig", "")
    refused = link_problem(config.ack_signing_key, alert_id, expires, sig, now)
    if refused:
        log.warning("refused an Acknowledge link for %r: HTTP %d", alert_id[:40], refused[0])
        return _refusal(*refused)
    if request.method == "POST" and not _same_origin(config):
        return _refusal(403, "This form was posted from another site.")
    try:
        record = reader.get_alert(get_redis(), alert_id)
    except redis.RedisError:
        return _refusal(503, "The alert history is unavailable right now; try again shortly.")
    if record is None:
        return _refusal(404, "No alert with this id is in the history.")
    page = {"record": record, "expires": expires, "sig": sig, "durations": DURATIONS}
    if request.method == "GET" or record["acknowledged_by"] or record["status"] != "firing":
        return _page(page, 200 if request.method == "GET" else 409)
    form, problems = parse_form(request.form)
    if form is None:
        return _page({**page, "problems": problems, "values": request.form}, 400)
    return _acknowledge(config, page, record, form, now)


def _acknowledge(config: BridgeConfig, page: dict, record: dict, form: Form, now: datetime):
    created, problems = create_silences(config.alertmanager_urls, silence_body(record, form, now))
    for problem in problems:
        log.warning("silence for alert %s not created on %s", record["id"], problem)
    if not created:
        return _refusal(502, NO_ALERTMANAGER.format(detail="; ".join(problems)))
    try:
        outcome = writer.acknowledge(
            get_redis(),
            record["id"],
            by=form.name,
            comment=form.comment or None,
            silence_ids=list(created.values()),
            now=now,
        )
        record = reader.get_alert(get_redis(), record["id"]) or record
    except redis.RedisError:
        expire_silences(created)
        return _refusal(
            503, "The alert history is unavailable right now; nothing was acknowledged."
        )
    if outcome != "acknowledged":  # someone else was faster, or it resolved meanwhile
        expire_silences(created)
        return _page({**page, "record": record}, 409)
    log.info(
        "alert %s acknowledged by %r: silences %s", record["id"], form.name, list(created.values())
    )
    return _page({**page, "record": record, "just_acknowledged": True, "form": form}, 200)


def _same_origin(config: BridgeConfig) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser's cross-site post: browsers send Origin with every POST
    ours = {_origin(config.external_url), _origin(request.host_url)}
    return origin.rstrip("/") in ours


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _page(context: dict, status: int):
    return _secure(render_template("ack/alert.html", **context), status)


def _refusal(status: int, message: str):
    page = render_template("ack/refused.html", status=status, message=message, unchanged=UNCHANGED)
    return _secure(page, status)


def _secure(body: str, status: int):
    response = current_app.make_response((body, status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    )
    return response
