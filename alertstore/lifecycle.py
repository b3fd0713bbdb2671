"""The alert lifecycle: what each event does to a record and which Slack message it owes.

This table is the one statement of the rules. `alertstore.writer` renders it into its Lua
script (`lua_rules`), which looks every event up here, so the rules run atomically inside
Redis without a second copy; tests/alertstore/test_lifecycle.py runs every row against a
real Redis. Storage (keys, indexes, JSON) is the writer's and the layout's business.

A record is one alert instance (fingerprint + startsAt, within the tolerance a Prometheus
pair needs: layout.py, "Record identity"), in state absent, firing or resolved. Events:

* ``firing``, ``resolved`` — an Alertmanager webhook (any peer, any retry, any re-send);
* ``gone`` — no Alertmanager that answered still has the instance (reconciliation), or a
  newer instance of its fingerprint arrived (see below);
* ``muted`` — reconciliation found it silenced or inhibited (``by``), or no longer muted.

Conditions (``when``) tell the rows of one (state, event) apart:

* ``current`` / ``stale`` — stale: a newer instance (a startsAt later, beyond the
  tolerance) of the same fingerprint is known, so this one has ended whatever a late
  webhook says;
* ``due`` / ``not_due`` — 0.9 * cooldown has passed since the record's last message
  (Alertmanager's repeat_interval is the cooldown; 0.9 absorbs its timing jitter);
* ``announced`` / ``unannounced`` — a message was ever queued for the record;
* ``changed`` / ``unchanged`` — the mute differs from the record's ``suppressed_by``.

Per fingerprint, besides the rows (``layout.fingerprint_key``):

* A webhook event for an instance newer than the fingerprint's latest first applies
  ``gone`` to that latest instance: Alertmanager merges a resolve and a re-fire inside one
  group interval and never sends the first instance's resolve.
* Flaps: a firing record created within FLAP_WINDOW_SECONDS of the fingerprint's last
  resolve (its startsAt minus that resolve's time) gets ``flaps`` = the previous count + 1,
  otherwise 0; the newest record carries the count and its firing message shows it. A
  reopen is not a flap: the alert never stopped, one Alertmanager lost sight of it.
* The cooldown no longer holds any message back (issue 11): it only spaces reminders of an
  ongoing alert. Flapping is damped by Prometheus' ``keep_firing_for``, and counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

State = Literal["absent", "firing", "resolved"]
Event = Literal["firing", "resolved", "gone", "muted"]
Effect = Literal["ignore", "create", "resolve", "reopen", "remind", "mute"]
Kind = Literal["firing", "reminder", "resolved"]

STATES = ("absent", "firing", "resolved")
EVENTS = ("firing", "resolved", "gone", "muted")
# Each row's `when` is one of a pair that splits its (state, event) in two, or None.
CONDITIONS = {
    "current": "stale",
    "due": "not_due",
    "announced": "unannounced",
    "changed": "unchanged",
}
MUTES = ("silenced", "inhibited")  # `muted` with by=None: no longer muted
RESOLUTIONS = ("alertmanager", "inferred")
REMINDER_FRACTION = 0.9


@dataclass(frozen=True)
class Rule:
    """(state, event, when) → (status after, notification): one row of the lifecycle.

    `notify` is the notification recorded on the record, `send` whether it is a Slack
    message (queued in the outbox) or recorded as skipped.
    """

    state: State
    event: Event
    when: str | None
    effect: Effect
    status: State
    reason: str
    notify: Kind | None = None
    send: bool = False
    resolution: str | None = None

    @property
    def message(self) -> Kind | None:
        """The Slack message this row owes, if any."""
        return self.notify if self.send else None


RULES = (
    Rule(
        "absent", "firing", "current", "create", "firing",
        "a new instance pages. Never held back by the cooldown, which only spaces reminders "
        "of an ongoing alert: holding a re-fire back would leave RESOLVED as Slack's last word",
        notify="firing", send=True,
    ),
    Rule(
        "absent", "firing", "stale", "create", "resolved",
        "a newer instance exists, so this one has ended; kept in the history, never announced "
        "(Slack never heard of it)",
        notify="firing", resolution="inferred",
    ),
    Rule(
        "absent", "resolved", None, "create", "resolved",
        "its firing webhook never reached the store; Alertmanager's resolve is the only word",
        notify="resolved", send=True, resolution="alertmanager",
    ),
    Rule(
        "firing", "firing", "not_due", "ignore", "firing",
        "a retry, an HA peer's copy or a group re-send of what Slack already says",
    ),
    Rule(
        "firing", "firing", "due", "remind", "firing",
        "Alertmanager's repeat after the cooldown: one reminder, counted on the record",
        notify="reminder", send=True,
    ),
    Rule(
        "firing", "resolved", "announced", "resolve", "resolved",
        "Slack said FIRING, so it must say RESOLVED",
        notify="resolved", send=True, resolution="alertmanager",
    ),
    Rule(
        "firing", "resolved", "unannounced", "resolve", "resolved",
        "Slack never heard of it (a record held back by the old cooldown rule): a resolve "
        "would answer a page nobody got",
        notify="resolved", resolution="alertmanager",
    ),
    Rule(
        "resolved", "resolved", None, "ignore", "resolved",
        "a retry or the HA peer's copy of the resolve",
    ),
    Rule(
        "resolved", "firing", "current", "reopen", "firing",
        "one Alertmanager resolved it after losing Prometheus (partition: the alert expired "
        "there) while it still fires; dropping this would leave Slack and the history saying "
        "resolved for the rest of the incident. A stale firing from a lagging HA peer looks "
        "the same here (same startsAt; the resolve's endsAt tells nothing apart), so the "
        "webhook has the writer hold it (hold_reopens) and asks Prometheus: it is stored "
        "when one still fires the alert, none answers or none ever fired it (a false FIRING "
        "that corrects itself beats a missed page), dropped when one that fired this "
        "instance says it is over and none still fires it",
        notify="firing", send=True,
    ),
    Rule(
        "resolved", "firing", "stale", "ignore", "resolved",
        "a newer instance exists: this one has ended, the webhook is late",
    ),
    Rule("absent", "gone", None, "ignore", "absent", "nothing to resolve"),
    Rule(
        "firing", "gone", "announced", "resolve", "resolved",
        "Alertmanager no longer has it and will never send its resolve (merged into a "
        "re-fire, or muted); the message says the resolve was inferred",
        notify="resolved", send=True, resolution="inferred",
    ),
    Rule(
        "firing", "gone", "unannounced", "resolve", "resolved",
        "as above, but Slack never heard of it",
        notify="resolved", resolution="inferred",
    ),
    Rule("resolved", "gone", None, "ignore", "resolved", "already resolved"),
    Rule("absent", "muted", None, "ignore", "absent", "nothing to mark"),
    Rule(
        "firing", "muted", "changed", "mute", "firing",
        "shows why Slack hears nothing more (Alertmanager sends no repeats or resolve for a "
        "muted alert), or that it no longer is muted; no message: muting is a human decision",
    ),
    Rule("firing", "muted", "unchanged", "ignore", "firing", "already marked"),
    Rule("resolved", "muted", None, "ignore", "resolved", "a resolved record stays as it ended"),
)  # fmt: skip


def rules_for(state: str, event: str) -> list[Rule]:
    return [rule for rule in RULES if (rule.state, rule.event) == (state, event)]


def check_complete() -> None:
    """Every (state, event) has either one unconditional row or exactly one row for each
    side of one condition; ValueError names the first gap or overlap."""
    for state in STATES:
        for event in EVENTS:
            whens = sorted(str(rule.when) for rule in rules_for(state, event))
            pairs = [sorted(pair) for pair in CONDITIONS.items()]
            if whens != ["None"] and whens not in pairs:
                raise ValueError(f"lifecycle rows for ({state}, {event}): {whens}")


def lua_rules() -> str:
    """RULES as a Lua function: `rules('state|event')` → `{{when=, effect=, ...}, ...}`. A
    function, not a table literal: a script's body runs anew on every call (Redis keeps no
    Lua state between calls), so a literal would build every row each time; this builds
    only the rows asked for."""
    rows: dict[str, list[dict]] = {}
    for rule in RULES:
        rows.setdefault(f"{rule.state}|{rule.event}", []).append(
            {
                "when": rule.when or "",
                "effect": rule.effect,
                "status": rule.status,
                "notify": rule.notify or "",
                "send": rule.send,
                "resolution": rule.resolution or "",
            }
        )
    # JSON strings and booleans are valid Lua literals; Lua tables need `key = value`.
    branches = []
    for key, group in rows.items():
        items = [
            "{" + ", ".join(f"{name} = {json.dumps(value)}" for name, value in row.items()) + "}"
            for row in group
        ]
        branches.append(f"  if key == {json.dumps(key)} then return {{{', '.join(items)}}} end")
    return "function(key)\n" + "\n".join(branches) + "\nend"


check_complete()
