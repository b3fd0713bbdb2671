"""Opt-in fault injection (FAULT_INJECTION_ENABLED): X-Fault-Status, X-Fault-Delay-Ms."""
