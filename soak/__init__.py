"""Soak test of a running stack: long mixed load while watching memory, fds, metric files."""
