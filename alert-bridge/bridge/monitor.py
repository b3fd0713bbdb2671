"""The pipeline monitor: a thread of every delivery worker watching the heartbeat.

When no heartbeat has reached the bridge for HEARTBEAT_TIMEOUT_SECONDS, it posts one
"alert pipeline broken" message straight to Slack (not through the outbox: the outbox is
what may be stuck) naming what it can tell, and one "recovered" message when heartbeats
return. The state lives in Redis (`alertstore.pipeline.observe`), so of several workers
exactly one sends each message. For a grace equal to the timeout after the worker starts
it says nothing: a fresh stack (or one restarted on yesterday's Redis) cannot have had a
heartbeat yet.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

import redis
import requests

from alertstore import pipeline, records
from bridge.config import BridgeConfig

log = logging.getLogger("bridge.monitor")


class PipelineMonitor:
    def __init__(
        self,
        config: BridgeConfig,
        store: redis.Redis,
        stop: threading.Event,
        *,
        session: requests.Session | None = None,
    ) -> None:
        self.config = config
        self.redis = store
        self.stop = stop
        self.session = session or requests.Session()
        self.grace_ends = time.monotonic() + config.heartbeat_timeout_seconds
        self.every = min(5.0, config.heartbeat_timeout_seconds / 5)

    def run(self) -> None:
        while not self.stop.wait(self.every):
            try:
                self.check(datetime.now(UTC))
            except redis.RedisError as exc:
                log.warning("pipeline monitor: redis unavailable: %s", exc)

    def check(self, now: datetime) -> None:
        if time.monotonic() < self.grace_ends:
            return
        last = pipeline.last_heartbeat(self.redis)
        broken = pipeline.heartbeat_late(last, now, self.config.heartbeat_timeout_seconds)
        owed = pipeline.observe(self.redis, broken=broken, now=now)
        if owed is None:
            return
        state, since = owed
        text = self._broken(last) if state == "broken" else self._recovered(last)
        log.log(logging.ERROR if state == "broken" else logging.INFO, "%s", text)
        if not self._post(text):
            pipeline.unclaim(self.redis, state, since)  # the next check tries again

    def _broken(self, last: datetime | None) -> str:
        seen = f"since {records.isoformat(last)}" if last else "received since the worker started"
        where = pipeline.locate_break(self.config.prometheus_url)
        return (
            f"[PIPELINE BROKEN] taskmgr alert pipeline — no heartbeat {seen} "
            f"(timeout {self.config.heartbeat_timeout_seconds:g}s). {where}. "
            "Alerts may not reach Slack until this is fixed."
        )

    def _recovered(self, last: datetime | None) -> str:
        at = records.isoformat(last) if last else "now"
        return f"[PIPELINE RECOVERED] taskmgr alert pipeline — heartbeats arrive again (last {at})."

    def _post(self, text: str) -> bool:
        url = self.config.slack_webhook_url
        if url is None:
            return True  # nowhere to post; the log line above is the message
        try:
            response = self.session.post(
                url, json={"text": text}, timeout=self.config.slack_timeout_seconds
            )
        except requests.RequestException as exc:
            log.warning("pipeline monitor: could not post to Slack: %s", type(exc).__name__)
            return False
        if not 200 <= response.status_code < 300:
            log.warning("pipeline monitor: Slack answered %s", response.status_code)
            return False
        return True
