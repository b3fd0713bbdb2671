"""Read a running service's footprint from /proc: the processes, their memory and open fds.

The API's processes are found by the port they listen on: gunicorn's master and every worker
hold the listening socket, so "who has that socket open" is exactly the service, however
it was started (make run, compose on the host, a test harness).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
_LISTEN = "0A"  # TCP state code in /proc/net/tcp


class ProbeError(RuntimeError):
    pass


@dataclass(frozen=True)
class Footprint:
    pids: tuple[int, ...]
    rss_bytes: int  # sum over the processes
    open_fds: int  # sum over the processes
    metric_files: int  # *.db files in the multiprocess folder


def _listen_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("tcp", "tcp6"):
        path = PROC / "net" / table
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == _LISTEN:
                inodes.add(fields[9])
    return inodes


def _fd_targets(pid: int) -> list[str]:
    try:
        names = os.listdir(PROC / str(pid) / "fd")
    except OSError:  # gone, or not ours
        return []
    targets = []
    for name in names:
        try:
            targets.append(os.readlink(PROC / str(pid) / "fd" / name))
        except OSError:
            continue
    return targets


def service_pids(port: int) -> tuple[int, ...]:
    """Every process holding the socket that listens on `port`."""
    sockets = {f"socket:[{inode}]" for inode in _listen_inodes(port)}
    if not sockets:
        raise ProbeError(f"nothing listens on port {port}")
    pids = [
        int(entry.name)
        for entry in PROC.iterdir()
        if entry.name.isdigit() and sockets & set(_fd_targets(int(entry.name)))
    ]
    if not pids:
        raise ProbeError(f"port {port} listens, but its processes are not readable (another user?)")
    return tuple(sorted(pids))


def _rss_bytes(pid: int) -> int:
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def footprint(port: int, multiproc_dir: Path | None) -> Footprint:
    pids = service_pids(port)
    files = len(list(multiproc_dir.glob("*.db"))) if multiproc_dir else 0
    return Footprint(
        pids=pids,
        rss_bytes=sum(_rss_bytes(pid) for pid in pids),
        open_fds=sum(len(_fd_targets(pid)) for pid in pids),
        metric_files=files,
    )
