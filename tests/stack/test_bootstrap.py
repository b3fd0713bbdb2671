import stat

from stack import binaries
from stack.bootstrap import ensure_ack_signing_key, ensure_bridge_token, secret_key
from stack.envfiles import read_env
from stack.prepare import prepare
from tests.stack.conftest import run_module


def test_secrets_are_generated_once_into_the_state_dir(tmp_path):
    token = ensure_bridge_token({}, tmp_path)
    key = secret_key({}, tmp_path)
    ack_key = ensure_ack_signing_key({}, tmp_path)
    assert len(token) >= 32 and len(key) >= 50 and len(ack_key) >= 32
    assert (ensure_bridge_token({}, tmp_path), secret_key({}, tmp_path)) == (token, key)
    assert ensure_ack_signing_key({}, tmp_path) == ack_key
    for name in ("bridge_token", "secret_key", "ack_signing_key"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


def test_secrets_from_the_environment_win_and_write_nothing(tmp_path):
    env = {"ALERT_BRIDGE_TOKEN": "from-env", "DJANGO_SECRET_KEY": "key-from-env"}
    env["ACK_SIGNING_KEY"] = "ack-key-from-env"
    assert (ensure_bridge_token(env, tmp_path), secret_key(env, tmp_path)) == (
        "from-env",
        "key-from-env",
    )
    assert ensure_ack_signing_key(env, tmp_path) == "ack-key-from-env"
    assert list(tmp_path.iterdir()) == []


def test_make_runs_prepare_gives_the_bridge_and_worker_one_signing_key_kept_across_runs(tmp_path):
    """The Acknowledge links' key is generated once, so links sent before a restart of
    `make run` keep working; the links point at the bridge's own address."""
    env = {"STATE_DIR": str(tmp_path / "state"), "BRIDGE_PORT": "8101"}
    config = prepare(env, dotenv=None)
    bridge, worker = (read_env(config / f"{p}.env") for p in ("bridge", "worker"))
    key = (tmp_path / "state" / "ack_signing_key").read_text()
    assert bridge["ACK_SIGNING_KEY"] == worker["ACK_SIGNING_KEY"] == key
    assert bridge["BRIDGE_EXTERNAL_URL"] == worker["BRIDGE_EXTERNAL_URL"] == "http://127.0.0.1:8101"
    assert worker["ACK_LINK_TTL_SECONDS"] == "3600"
    assert read_env(prepare(env, dotenv=None) / "worker.env")["ACK_SIGNING_KEY"] == key


def test_token_command_prints_export_lines(tmp_path):
    result = run_module("stack.bootstrap", "token", env={"STATE_DIR": str(tmp_path)}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    token = (tmp_path / "bridge_token").read_text()
    assert result.stdout.splitlines() == [
        f"export ALERT_BRIDGE_TOKEN={token}",
        f"export ACK_SIGNING_KEY={(tmp_path / 'ack_signing_key').read_text()}",
        f"export DJANGO_SECRET_KEY={(tmp_path / 'secret_key').read_text()}",
    ]


def test_binaries_command_passes_when_everything_is_installed(tmp_path):
    result = run_module("stack.bootstrap", "binaries", env={}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_binaries_command_prints_one_install_line_per_missing_binary(tmp_path):
    # a PATH with only python: nothing the stack needs is found (and no --install)
    empty = tmp_path / "bin"
    empty.mkdir()
    result = run_module("stack.bootstrap", "binaries", env={"PATH": str(empty)}, cwd=tmp_path)
    assert result.returncode == 1
    hint = "not found on PATH; install it with: apt-get install -y"
    assert result.stderr.splitlines() == [
        f"redis-server {hint} redis-server",
        f"prometheus {hint} prometheus",
        f"promtool {hint} prometheus",
        f"alertmanager {hint} prometheus-alertmanager",
        f"amtool {hint} prometheus-alertmanager",
    ]


def test_find_resolves_the_debian_alertmanager_name():
    assert binaries.find("alertmanager").endswith(("/prometheus-alertmanager", "/alertmanager"))
    assert binaries.require("amtool").endswith("/amtool")
