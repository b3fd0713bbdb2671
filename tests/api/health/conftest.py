import shutil

import pytest

from testkit.ports import free_port
from testkit.processes import ServerProcess


@pytest.fixture
def prometheus(tmp_path):
    """A real, empty Prometheus on a free port; yields its base URL."""
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1m\nscrape_configs: []\n")
    url = f"http://127.0.0.1:{port}"
    server = ServerProcess(
        "prometheus",
        [
            shutil.which("prometheus") or "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        log_dir=tmp_path,
        ready_url=f"{url}/-/ready",
        timeout=60,
    )
    with server:
        yield url
