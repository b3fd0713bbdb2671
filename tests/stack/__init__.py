"""Tests of stack/: settings, profiles, rendering, bootstrap."""
