"""Read the Procfile: the one list of the stack's processes and their commands."""

from __future__ import annotations

import re
from pathlib import Path

_LINE = re.compile(r"([A-Za-z0-9_-]+):\s*(.+)")


def read_procfile(path: Path) -> dict[str, str]:
    """Process name → shell command, in file order; comments and blank lines skipped."""
    commands: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.fullmatch(line.strip())
        if match is None:
            raise ValueError(f"{path}:{number}: expected `name: command`, got {line!r}")
        commands[match[1]] = match[2]
    return commands
