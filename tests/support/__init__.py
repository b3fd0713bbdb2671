"""Helpers shared by the test suite: free ports, real server processes, a private Redis."""
