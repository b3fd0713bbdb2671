"""Tests of the Django API, mirroring api/."""
