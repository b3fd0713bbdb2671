"""What the tests and the benchmarks both use to run real parts: free ports, server
processes, a private redis-server, the stack started from the Procfile's own lines, client
traffic, the Slack stand-in, a TCP proxy to cut, and one way to wait (`polling`).

It depends on the product (stack/, alertstore/) and never on tests/: bench/ imports it
and tests/ test bench/.
"""
