"""Read the Procfile: the one list of the stack's processes and their commands."""

from __future__ import annotations

import re
import shlex
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


_SOURCED = "set +a; "  # each line sources its env file, then `set +a; ` and its command


def with_env(command: str, **env: str) -> str:
    """A Procfile line with `env` exported after its own env file is read, so those values
    win (a second instance of a service on another port, say)."""
    if _SOURCED not in command:
        raise ValueError(f"not a Procfile line that sources its env file: {command!r}")
    exports = " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items())
    return command.replace(_SOURCED, f"{_SOURCED}export {exports}; ", 1) if env else command
