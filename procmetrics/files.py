"""One worker file of the multiprocess folder, its keys decoded once.

prometheus_client's MmapedDict file is append-only: a 4-byte `used` offset, 4 bytes of
padding, then entries `<int32 key length><utf-8 key, padded to 8><double value><double
timestamp>`; an entry is never moved or rewritten, only its two doubles change. So once a
file's entries up to `used` are known, a later read of the same file only has to unpack the
doubles at the known offsets (one struct call), and decode the entries past the old `used`
when the file grew.

"The same file" is decided by inode, with the file kept open: an open file's inode cannot
be handed to another file, so a path recreated meanwhile (a folded archive swapped in, a
reused pid) is always noticed and decoded afresh.
"""

from __future__ import annotations

import itertools
import json
import os
import struct
from typing import NamedTuple

_INT = struct.Struct("i")
_serials = itertools.count()


def _entries(data: bytes, start: int, used: int):
    """(key, value offset) of the entries between `start` and `used`, as mmap_dict reads them."""
    pos = start
    while pos < used:
        length = _INT.unpack_from(data, pos)[0]
        if length + pos > used:
            raise RuntimeError("Read beyond file size detected, file is corrupted.")
        pos += 4
        key = data[pos : pos + length].decode("utf-8")
        pos += length + (8 - (length + 4) % 8)
        yield key, pos
        pos += 16


class Key(NamedTuple):
    """A decoded entry key, with the label sets the merge derives from it."""

    metric_name: str
    name: str
    labels: tuple[tuple[str, str], ...]  # sorted
    help_text: str
    le: str | None  # the `le` label's value, if any
    without_le: tuple[tuple[str, str], ...]
    without_pid: tuple[tuple[str, str], ...]


def decode(key: str) -> Key:
    metric_name, name, labels, help_text = json.loads(key)
    items = tuple(sorted(labels.items()))
    return Key(
        metric_name,
        name,
        items,
        help_text,
        labels.get("le"),
        tuple(item for item in items if item[0] != "le"),
        tuple(item for item in items if item[0] != "pid"),
    )


class WorkerFile:
    """`<type>[_<gauge mode>]_<pid>.db`: its decoded keys and, per read, its values."""

    def __init__(self, path: str) -> None:
        parts = os.path.basename(path).split("_")
        self.typ = parts[0]
        # A gauge's sample carries the writer's pid (the file name's), as in the stock merge.
        self.mode, self.pid = (parts[1], parts[2][:-3]) if self.typ == "gauge" else ("", "")
        self.serial = next(_serials)  # ids get reused, serials do not
        self._fd = os.open(path, os.O_RDONLY)
        self.inode = os.fstat(self._fd).st_ino
        self.used = 8
        self.keys: list[Key] = []  # file order
        self._offsets: list[int] = []
        self._values = struct.Struct("=")

    def close(self) -> None:
        os.close(self._fd)

    def read(self, decoded: dict[str, Key]) -> tuple[float, ...]:
        """The value of every entry, decoding the entries appended since the last read
        first (through `decoded`: workers share their keys); `self.keys` then matches."""
        head = os.pread(self._fd, _INT.size, 0)
        used = _INT.unpack(head)[0] if len(head) == _INT.size else 0
        if used <= 8:  # sized but not written yet
            return ()
        data = os.pread(self._fd, used, 0)
        if used > self.used:
            for key, offset in _entries(data, self.used, used):
                known = decoded.get(key)
                if known is None:
                    known = decoded[key] = decode(key)
                self.keys.append(known)
                self._offsets.append(offset)
            self.used = used
            self._values = _values_struct(self._offsets)
        return self._values.unpack_from(data, 0)


def _values_struct(offsets: list[int]) -> struct.Struct:
    """One struct that skips to each entry's value: `=<gap>xd<gap>xd...`."""
    parts, cursor = ["="], 0
    for offset in offsets:
        parts.append(f"{offset - cursor}xd")
        cursor = offset + 8
    return struct.Struct("".join(parts))
