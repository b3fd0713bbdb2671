"""The alert-history contract in Redis: the bridge writes it, the API reads it.

`layout` names every key, `records` shapes every record, `lifecycle` is the table of what
each event does to a record and which Slack message it owes; `writer` (transitions, delivery
state), `reader` (history), `outbox` (the Slack queue and its lease) and `migrate` (schema
upgrades, `python -m alertstore.migrate`) are the only code that touches those keys.
Depends on nothing but `redis`.
"""
