"""Tests of the Prometheus rules: promtool checks and unit tests, and a live Prometheus."""
