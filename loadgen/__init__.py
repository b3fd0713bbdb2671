"""Traffic simulator for taskmgr: `python -m loadgen --help` (or `make simulate`)."""
