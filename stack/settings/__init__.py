"""The stack's settings: every variable shared between its processes, defined once.

`table.py` is the table (name, default, validation, which processes receive it),
`values.load()` reads it over the process environment and `<repo>/.env` (the real
environment wins; an empty value counts as unset) and returns a `Settings`, or raises
`SettingsError` listing every bad variable at once. Nothing else in stack/ reads os.environ.
`stack.envfiles` turns a Settings into one environment file per process.
"""

from stack.settings.dotenv import (
    DOTENV,
    REPO,
    SettingsError,
    environment,
    parse_dotenv,
    state_dir_from,
)
from stack.settings.table import PROCESSES, VARIABLES, Variable
from stack.settings.values import TIMING_OVERRIDES, TOKEN_FILE, Settings, load

__all__ = [
    "DOTENV",
    "PROCESSES",
    "REPO",
    "TIMING_OVERRIDES",
    "TOKEN_FILE",
    "VARIABLES",
    "Settings",
    "SettingsError",
    "Variable",
    "environment",
    "load",
    "parse_dotenv",
    "state_dir_from",
]
