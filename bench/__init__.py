"""Ratio benchmarks of taskmgr (issue 5): `python -m bench [names...] [--quick]`.

Each benchmark is a module runnable on its own (`python -m bench.<name> [--quick]`); the
runner (`bench/__main__.py`) starts each in a fresh process and writes `bench/results.md`.
"""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
API_DIR = REPO / "api"
BRIDGE_DIR = REPO / "alert-bridge"

# The same import roots as the tests (pyproject.toml): repo root, api/, alert-bridge/.
for _root in (REPO, API_DIR, BRIDGE_DIR):
    if str(_root) not in sys.path:
        sys.path.append(str(_root))
