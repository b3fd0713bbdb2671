"""`<repo>/.env` and the real environment: which variables the stack sees."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOTENV = REPO / ".env"
_DOTENV_LINE = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)")


class SettingsError(ValueError):
    """Every problem found, one per line, so a bad .env is fixed in one go."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid stack settings:\n" + "\n".join(f"  {p}" for p in problems))


def environment(
    environ: Mapping[str, str] | None = None, *, dotenv: Path | None = DOTENV
) -> dict[str, str]:
    """The variables the stack sees: `dotenv` (if it exists) overlaid by the real environment;
    an empty value counts as unset."""
    merged = parse_dotenv(dotenv) if dotenv is not None and dotenv.is_file() else {}
    merged.update(os.environ if environ is None else environ)
    return {name: value for name, value in merged.items() if value != ""}


def state_dir_from(env: Mapping[str, str]) -> Path:
    """STATE_DIR (default `<repo>/.run`); a relative path is taken from the repo root."""
    path = Path(env.get("STATE_DIR", ".run")).expanduser()
    return path if path.is_absolute() else REPO / path


def parse_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; `#` comments, `export `, and one pair of surrounding quotes allowed."""
    values, problems = {}, []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _DOTENV_LINE.fullmatch(line)
        if not match:
            problems.append(f"{path}:{number}: expected KEY=VALUE, got {line!r}")
            continue
        name, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0].strip()
        values[name] = value
    if problems:
        raise SettingsError(problems)
    return values
