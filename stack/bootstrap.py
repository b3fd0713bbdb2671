"""`make run` preflight: the binaries the stack needs, and its secrets.

python -m stack.bootstrap binaries [--install] [--with NAME ...]
    exit 0 when redis-server, prometheus, promtool, alertmanager and amtool (and the
    `--with` extras: chromium, wrk, docker-compose, victoria-metrics) are all installed;
    otherwise, with --install as root where apt-get exists, install them (`apt-get update`
    once, then `apt-get install -y …`); else print one install line per missing binary and
    exit 1.
python -m stack.bootstrap token
    generate ALERT_BRIDGE_TOKEN, ACK_SIGNING_KEY and DJANGO_SECRET_KEY once into STATE_DIR
    (0600 files `bridge_token`, `ack_signing_key`, `secret_key`) unless set in the
    environment, and print them as
    `export` lines for the shell: eval "$(python -m stack.bootstrap token)".
"""

from __future__ import annotations

import argparse
import os
import secrets
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from stack import binaries
from stack.settings import TOKEN_FILE, SettingsError, environment, state_dir_from
from stack.settings.values import ACK_KEY_FILE

SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret


def ensure_bridge_token(env: Mapping[str, str], state_dir: Path) -> str:
    """ALERT_BRIDGE_TOKEN from `env`, else the one stored in `state_dir` (created once)."""
    return env.get("ALERT_BRIDGE_TOKEN") or _stored_secret(state_dir / TOKEN_FILE, 32)


def ensure_ack_signing_key(env: Mapping[str, str], state_dir: Path) -> str:
    """ACK_SIGNING_KEY from `env`, else the one stored in `state_dir` (created once): the
    Acknowledge links' HMAC key, so links sent before a restart keep working."""
    return env.get("ACK_SIGNING_KEY") or _stored_secret(state_dir / ACK_KEY_FILE, 32)


def secret_key(env: Mapping[str, str], state_dir: Path) -> str:
    """DJANGO_SECRET_KEY from `env`, else the one stored in `state_dir` (created once)."""
    return env.get("DJANGO_SECRET_KEY") or _stored_secret(state_dir / SECRET_KEY_FILE, 50)


def install_binaries(install: bool, extra: tuple[str, ...] = ()) -> int:
    """0 when everything is installed (perhaps now); 1 after printing what to install."""
    missing = binaries.missing(extra)
    if missing and install and os.geteuid() == 0 and shutil.which("apt-get"):
        packages = sorted({binary.package for binary in missing})
        subprocess.run(["apt-get", "update"], check=True)
        subprocess.run(["apt-get", "install", "-y", *packages], check=True)
        missing = binaries.missing(extra)
    for binary in missing:
        print(binary, file=sys.stderr)
    return 1 if missing else 0


def _stored_secret(path: Path, length: int) -> str:
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # O_EXCL: two concurrent first runs cannot both write, and the file is 0600 at birth
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_urlsafe(length))
    return path.read_text().strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stack.bootstrap")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("binaries", help="check (and with --install, install) binaries")
    check.add_argument("--install", action="store_true", help="apt-get install what is missing")
    check.add_argument(
        "--with",
        dest="extra",
        action="append",
        default=[],
        choices=sorted(binaries.OPTIONAL),
        help="also require this optional binary",
    )
    commands.add_parser("token", help="print export lines for the generated secrets")
    args = parser.parse_args(argv)
    if args.command == "binaries":
        return install_binaries(args.install, tuple(args.extra))
    try:
        env = environment()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    state_dir = state_dir_from(env)
    print(f"export ALERT_BRIDGE_TOKEN={shlex.quote(ensure_bridge_token(env, state_dir))}")
    print(f"export ACK_SIGNING_KEY={shlex.quote(ensure_ack_signing_key(env, state_dir))}")
    print(f"export DJANGO_SECRET_KEY={shlex.quote(secret_key(env, state_dir))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
