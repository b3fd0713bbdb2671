"""Tests of the Alertmanager configuration: amtool routing tests and a live Alertmanager."""
