"""Slack delivery worker: `cd alert-bridge && python -m bridge.delivery`.

Takes outbox entries one at a time, strictly in order: a message that cannot be delivered
yet (Slack 5xx, timeout, connection error, 429) blocks the ones behind it, which keeps
every alert's messages in order. Retries back off exponentially up to
DELIVERY_MAX_BACKOFF_SECONDS; a Retry-After header is obeyed up to
DELIVERY_MAX_RETRY_AFTER_SECONDS (a `Retry-After: 3600` must not hold every page behind it
for an hour). Other 4xx answers (Slack's invalid_payload, no_service …) mark the message
failed and the worker moves on; 403/404/410 (the webhook itself refused) are also recorded
as the pipeline's Slack health and logged at ERROR, until a later 2xx clears it.

Several workers may run (HA): only the holder of the outbox lease delivers; the others
wait to take over. Entries are claimed under the lease token (`outbox.claim`), which also
re-queues whatever a dead or lapsed holder left in processing, so nothing is lost or
stuck. Nothing is sent twice: a notification is marked
sent in the same script that acks its entry, and an entry whose notification is already
final is dropped unsent. The one window left is a crash (or Redis failing) between
Slack's 2xx and that script — a few milliseconds — after which the message is sent once
more.

With REDIS_WAIT_REPLICAS, the worker's writes count only once `WAIT` says replicas hold
them (main gives the delivery loop a client of one connection, which WAIT covers): a lease
renewal that did not reach them is no lease (a failover could hand it to a second worker),
and a mark is asked about again until it did (a failover that lost a "sent" mark would send
the message again).

SIGTERM/SIGINT: finish the current HTTP request, put the entry back, release the lease.
Beside delivery, every worker runs the pipeline monitor (`bridge.monitor`), reconciliation
and the history trim (`alertstore.trim`, ALERT_HISTORY_RETENTION_DAYS) in threads.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal
from urllib.parse import urlsplit

import redis
import requests
from prometheus_client import start_http_server

from alertstore import connection, layout, notifications, outbox, pipeline, reader, trim
from alertstore.records import AlertRecord
from bridge import ack, metrics, reconcile
from bridge.config import BridgeConfig, ConfigError
from bridge.monitor import PipelineMonitor
from bridge.slack import Links, build_message

log = logging.getLogger("bridge.delivery")

BASE_BACKOFF_SECONDS = 1.0
IDLE_WAIT_SECONDS = 1.0  # longest idle wait for an entry (shorter if the lease needs it)


@dataclass(frozen=True)
class Attempt:
    """What one POST to Slack came to; `wait` is a Retry-After to obey (seconds)."""

    outcome: Literal["sent", "failed", "retry"]
    http_status: int | None = None
    error: str | None = None
    wait: float | None = None


def backoff(retries: int, cap: float) -> float:
    """1, 2, 4, 8 … seconds before retry number `retries`, never above `cap`."""
    return min(cap, BASE_BACKOFF_SECONDS * 2 ** min(retries - 1, 32))


def retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date); None when absent or invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
    except (TypeError, ValueError):
        return None


def classify(response: requests.Response) -> Attempt:
    status = response.status_code
    if 200 <= status < 300:
        return Attempt("sent", status)
    error = f"HTTP {status}: {response.text[:200]}"
    if status == 429 or status >= 500:
        return Attempt(
            "retry",
            status,
            error,
            retry_after(response.headers.get("Retry-After"), datetime.now(UTC)),
        )
    return Attempt("failed", status, error)


class DeliveryWorker:
    def __init__(
        self,
        config: BridgeConfig,
        store: redis.Redis,
        *,
        session: requests.Session | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.config = config
        self.redis = store
        self.session = session or requests.Session()
        self.stop = stop or threading.Event()
        self.lease = outbox.Lease(store, config.delivery_lease_seconds)
        self.renew_every = config.delivery_lease_seconds / 3
        # An idle holder renews between waits: waiting longer than that would let the lease
        # lapse while it waits.
        self.idle_wait = min(IDLE_WAIT_SECONDS, self.renew_every)
        self.links = Links(
            prometheus_url=config.prometheus_url,
            alertmanager_url=config.alertmanager_url,
            grafana_url=config.grafana_url,
            alertmanager_ui=config.alertmanager_ui,
        )

    def run(self) -> None:
        """Deliver until stopped; Redis outages are waited out, never fatal."""
        while not self.stop.is_set():
            try:
                if self._held(self.lease.acquire()):
                    self._deliver_while_leased()
                else:
                    self.stop.wait(self.renew_every)
            except redis.RedisError as exc:
                log.warning("redis unavailable, retrying in 1s: %s", exc)
                self.stop.wait(1.0)
        try:
            if self.lease.renew():
                outbox.requeue_processing(self.redis)
                self.lease.release()
        except redis.RedisError as exc:
            log.warning("could not hand the outbox back cleanly: %s", exc)

    def _deliver_while_leased(self) -> None:
        while not self.stop.is_set():
            renewed = self._held(self.lease.renew())
            claimed = outbox.claim(self.redis, self.lease.token) if renewed else None
            if claimed is None:
                log.warning("lost the outbox lease; another worker delivers now")
                return
            if claimed.requeued:
                log.warning(
                    "re-queued %d entries a dead or lapsed worker left in processing",
                    claimed.requeued,
                )
            if claimed.entry is None:
                outbox.wait_for_pending(self.redis, self.idle_wait)
            else:
                self._deliver(claimed.entry)

    def _deliver(self, entry: bytes | str) -> None:
        """Send one entry until it is final, or return early (stop, lease lost) leaving it
        in processing for whoever delivers next."""
        try:
            alert_id, index = layout.parse_outbox_entry(entry)
        except ValueError:
            log.error("dropping malformed outbox entry %r", entry)
            outbox.ack(self.redis, entry)
            return
        record = reader.get_alert(self.redis, alert_id)
        if record is None or index >= len(record["notifications"]):
            log.error("dropping outbox entry %s: no such notification", layout.text(entry))
            outbox.ack(self.redis, entry)
            return
        notification = record["notifications"][index]
        if notification["state"] != "pending":
            outbox.ack(self.redis, entry)  # already final, e.g. sent just before a crash
            return
        if self.config.slack_webhook_url is None:
            self._mark(record, index, "skipped", None, entry)
            return
        # An Acknowledge link counts its validity from the send, not the transition: a
        # message held back by a Slack outage still arrives with a full ACK_LINK_TTL_SECONDS.
        ack_url = ack.link(self.config, alert_id, datetime.now(UTC))
        message = build_message(record, notification["kind"], self.links, ack_url=ack_url)
        retries = 0
        while self._held(self.lease.renew()):
            attempt = self._post(message)
            if attempt.outcome != "retry":
                self._mark(record, index, attempt.outcome, attempt, entry)
                self._note_slack_health(attempt)
                metrics.SLACK_DELIVERIES.labels(
                    outcome="ok" if attempt.outcome == "sent" else "failed"
                ).inc()
                log_at = logging.INFO if attempt.outcome == "sent" else logging.ERROR
                log.log(
                    log_at,
                    "%s %s message for alert %s (%s)",
                    attempt.outcome,
                    notification["kind"],
                    alert_id,
                    attempt.error or attempt.http_status,
                )
                return
            retries += 1
            if attempt.wait is None:
                obeyed = None
                wait = backoff(retries, self.config.delivery_max_backoff_seconds)
            else:
                obeyed = wait = min(attempt.wait, self.config.delivery_max_retry_after_seconds)
            self._mark(record, index, "pending", attempt, None, retry_after_seconds=obeyed)
            metrics.SLACK_DELIVERIES.labels(outcome="retried").inc()
            log.warning(
                "slack refused alert %s (%s); retry %d in %.1fs",
                alert_id,
                attempt.error,
                retries,
                wait,
            )
            if not self._pause(wait):
                return
        log.warning("lost the outbox lease while delivering alert %s", alert_id)

    def _held(self, taken: bool) -> bool:
        """The lease counts only once replicas hold it, or a failover could give it to a
        second worker while this one still delivers."""
        if not taken:
            return False
        try:
            self.config.durability.confirm(self.redis)
        except connection.NotReplicated as exc:
            log.warning("outbox lease not on the replicas, not delivering: %s", exc)
            return False
        return True

    def _confirm_mark(self) -> None:
        """Wait until the mark just written is on the replicas: asked again (each WAIT
        bounded) while the connection lives, never assumed; stopping leaves it unconfirmed."""
        while True:
            try:
                self.config.durability.confirm(self.redis)
                return
            except connection.NotReplicated as exc:
                if self.stop.is_set():
                    raise
                log.warning("delivery mark not on the replicas yet, asking again: %s", exc)

    def _note_slack_health(self, attempt: Attempt) -> None:
        """Slack refusing the webhook (403/404/410) reaches no Slack channel: keep it where
        /status and /ready show it, and say it at ERROR; a 2xx clears it."""
        if attempt.outcome != "sent" and attempt.http_status not in pipeline.SLACK_REFUSALS:
            return  # a bad message (400 …) or no answer says nothing about the webhook
        status = pipeline.record_slack(
            self.redis,
            http_status=attempt.http_status,
            detail=attempt.error,
            now=datetime.now(UTC),
        )
        if status == "refused":
            log.error(
                "Slack refuses the webhook (%s): no message can be delivered; "
                "check SLACK_WEBHOOK_URL",
                attempt.error,
            )

    def _post(self, message: dict) -> Attempt:
        try:
            response = self.session.post(
                self.config.slack_webhook_url,
                json=message,
                timeout=self.config.slack_timeout_seconds,
            )
        except (requests.Timeout, requests.ConnectionError) as exc:
            return Attempt("retry", None, self._describe(exc))
        except requests.RequestException as exc:
            return Attempt("failed", None, self._describe(exc))
        return classify(response)

    def _describe(self, exc: Exception) -> str:
        """The error for the log and the record, without the webhook URL: its path is the
        Slack credential, and requests quotes it in connection errors."""
        text = f"{type(exc).__name__}: {exc}"
        url = self.config.slack_webhook_url or ""
        for secret in (url, urlsplit(url).path):
            if len(secret) > 1:
                text = text.replace(secret, "<SLACK_WEBHOOK_URL>")
        return text[:300]

    def _mark(
        self,
        record: AlertRecord,
        index: int,
        state: str,
        attempt: Attempt | None,
        ack,
        *,
        retry_after_seconds: float | None = None,
    ) -> None:
        """Record the attempt in the notification's ledger; the first firing message sent
        gives the record its time to page, observed here once."""
        marked = notifications.mark(
            self.redis,
            record["id"],
            index,
            state,
            attempt and attempt.http_status,
            attempt and attempt.error,
            datetime.now(UTC),
            retry_after_seconds=retry_after_seconds,
            ack=ack,
        )
        self._confirm_mark()
        if marked.time_to_page_seconds is not None:
            metrics.TIME_TO_PAGE.labels(record["severity"]).observe(marked.time_to_page_seconds)

    def _pause(self, seconds: float) -> bool:
        """Wait, renewing the lease; False when stopped or the lease is lost meanwhile."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self.stop.wait(min(left, self.renew_every)) or not self._held(self.lease.renew()):
                return False
        return True


def main() -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        config = BridgeConfig.from_env()
    except ConfigError as exc:
        print(f"bridge.delivery: {exc}", file=sys.stderr)
        return 2
    if config.multiproc_dir:
        # A single process with its own /metrics; writing into gunicorn's multiprocess
        # directory would make the web app report these counters as its own.
        print(
            "bridge.delivery: unset PROMETHEUS_MULTIPROC_DIR for the delivery worker",
            file=sys.stderr,
        )
        return 2
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    start_http_server(config.outbox_metrics_port, addr=config.host)
    # a blocking wait for an entry, or a WAIT, lasts its bound before Redis answers
    timeout = IDLE_WAIT_SECONDS + 5 + config.redis_wait_timeout_ms / 1000
    store = connection.connect(config.redis_target, timeout=timeout)
    log.info(
        "delivering to %s",
        "Slack" if config.slack_webhook_url else "nowhere (SLACK_WEBHOOK_URL unset)",
    )
    monitor = PipelineMonitor(config, store, stop)
    threading.Thread(target=monitor.run, name="pipeline-monitor", daemon=True).start()
    threading.Thread(
        target=reconcile.run, args=(config, store, stop), name="reconciler", daemon=True
    ).start()
    threading.Thread(
        target=trim.run,
        args=(store, config.alert_history_retention_days, stop),
        name="trimmer",
        daemon=True,
    ).start()
    # the delivery loop's own client of one connection: its WAITs cover all its writes
    delivering = connection.connect(config.redis_target, timeout=timeout, max_connections=1)
    DeliveryWorker(config, delivering, stop=stop).run()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
