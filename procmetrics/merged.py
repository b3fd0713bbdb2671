"""The merged exposition of a multiprocess folder, built once per set of keys.

What `generate_latest` over `MultiProcessCollector` prints is decided by the folder's keys
(which series, in which order, summed from which entries) and then filled in with values.
Keys rarely change (a worker's first request on a route, a worker started or folded), so
`FolderExposition` keeps per folder:

* a `WorkerFile` per file (keys decoded once, values unpacked in one struct call);
* a `_Plan` for the current files and keys: each output series' inputs, merged the way
  `MultiProcessCollector._accumulate_metrics` does (same order of additions, so the same
  floats), and a text template that `generate_latest` itself rendered once with
  placeholder values, so names, labels, escaping and order are its own.

A scrape then reads the values, folds them into the series and fills the template.
`mostrecent` gauges are the exception: which of their series exist, and in which order,
depends on the timestamps, so a folder holding any takes prometheus_client's own path.
"""

from __future__ import annotations

import glob
import os
import threading
from collections.abc import Sequence

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

from procmetrics.files import Key, WorkerFile

# gauge modes whose series drop the pid label and combine over workers
_COMBINED = {"min": min, "max": max, "sum": None}


class _Plan:
    """The series of one set of files and keys, and how to compute them.

    Every output series i has an entry in exactly one of: `sums` (added entry by entry in
    file order: counters, summaries, histogram _sum and raw buckets, sum gauges), `picks`
    (min/max over entries, first wins ties, as the stock loop), `last` (an `all` gauge: the
    last entry written). `chains` then make histogram buckets cumulative and `copies` set
    _count from the +Inf bucket."""

    def __init__(self, files: Sequence[WorkerFile]) -> None:
        self.size = 0
        self.sums: list[tuple[int, int]] = []  # (input index, output index), file order
        self.picks: list[tuple[int, object, list[int]]] = []
        self.last: list[tuple[int, int]] = []
        self.chains: list[tuple[int, int]] = []  # (previous bucket, bucket)
        self.copies: list[tuple[int, int]] = []  # (source, destination)
        metrics = self._read(files)
        rendered = [self._accumulate(metric, *spec) for metric, spec in metrics.values()]
        self.template, self.order = _template(rendered)

    def _read(self, files: Sequence[WorkerFile]) -> dict:
        """The stock `_read_metrics`: per metric, in first-seen order, its gauge mode (the
        last gauge file's) and its samples (key, file, input index) in file order."""
        metrics: dict[str, tuple[Metric, list]] = {}
        index = 0
        for worker in files:
            for key in worker.keys:
                found = metrics.get(key.metric_name)
                if found is None:
                    found = metrics[key.metric_name] = (
                        Metric(key.metric_name, key.help_text, worker.typ),
                        [""],
                    )
                if worker.typ == "gauge":
                    found[1][0] = worker.mode
                found[1].append((key, worker, index))
                index += 1
        return metrics

    def _accumulate(self, metric: Metric, mode: str, *samples: tuple) -> Metric:
        """The stock `_accumulate_metrics` (accumulate=True) over input indices; returns the
        metric with its output samples, valued by their output index."""
        gauge, histogram = metric.type == "gauge", metric.type == "histogram"
        combine = _COMBINED.get(mode.removeprefix("live"), False) if gauge else None
        groups: dict[tuple, dict[tuple, list | None]] = {}
        buckets: dict[tuple, dict[float, list[int]]] = {}
        for key, worker, index in samples:
            if combine is not False:  # not a gauge, or one combined over workers
                labels = key.without_pid if gauge else key.labels
                if worker.typ == "gauge" and not gauge:
                    labels = (*labels, ("pid", worker.pid))
            else:
                labels = (*key.labels, ("pid", worker.pid)) if worker.typ == "gauge" else key.labels
            if histogram and key.le is not None:
                by_bound = buckets.setdefault(key.without_le, {})
                by_bound.setdefault(float(key.le), []).append(index)
                continue
            series = groups.setdefault(labels, {})
            if combine is False:
                series[(key.name, labels)] = [index]  # `all`: the last one written is kept
            else:
                series.setdefault((key.name, labels), []).append(index)
        for labels, by_bound in buckets.items():
            series = groups.setdefault(labels, {})
            for bound in sorted(by_bound):
                le = ("le", floatToGoString(bound))
                series[(metric.name + "_bucket", (*labels, le))] = by_bound[bound]
            series[(metric.name + "_count", labels)] = None
        # Number the output series in the order the stock merge emits them.
        for series in groups.values():
            previous = None
            for (name, labels), inputs in series.items():
                out = self.size
                self.size += 1
                if inputs is None:  # _count: the last (+Inf) bucket
                    self.copies.append((previous, out))
                elif combine:
                    self.picks.append((out, combine, inputs))
                elif combine is False:
                    self.last.append((inputs[0], out))
                else:
                    self.sums.extend((i, out) for i in inputs)
                    if histogram and name == metric.name + "_bucket":
                        if previous is not None:
                            self.chains.append((previous, out))
                        previous = out
                metric.samples.append(Sample(name, dict(labels), out))
        return metric

    def values(self, inputs: Sequence[float]) -> list[float]:
        out = [0.0] * self.size
        for i, o in self.sums:
            out[o] += inputs[i]
        for o, pick, indices in self.picks:
            out[o] = pick(inputs[i] for i in indices)
        for i, o in self.last:
            out[o] = inputs[i]
        for previous, o in self.chains:
            out[o] = out[previous] + out[o]
        for source, o in self.copies:
            out[o] = out[source]
        return out


class _Rendered:
    def __init__(self, metrics: list[Metric]) -> None:
        self.metrics = metrics

    def collect(self):
        return self.metrics


def _template(metrics: list[Metric]) -> tuple[str, list[int]]:
    """`generate_latest`'s text for `metrics` (sample values = their output index) as a
    %-template, and the output index each slot takes."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Rendered(metrics))
    text = generate_latest(registry).decode("utf-8")
    parts, order = [], []
    for line in text.splitlines(keepends=True):
        if line.startswith("#"):
            parts.append(line.replace("%", "%%"))
            continue
        prefix, _, value = line.rpartition(" ")
        parts.append(prefix.replace("%", "%%") + " %s\n")
        order.append(int(float(value)))
    return "".join(parts), order


class FolderExposition:
    """The exposition of one multiprocess folder; call under the folder's shared lock."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._files: dict[str, WorkerFile] = {}
        # key text -> decoded, shared by the files (workers write the same keys); it holds
        # what the folder ever held, as the archives do
        self._decoded: dict[str, Key] = {}
        self._plan: _Plan | None = None
        self._plan_key: tuple | None = None
        self._lock = threading.Lock()  # threaded workers may scrape concurrently

    def __call__(self) -> bytes:
        with self._lock:
            files = self._current_files()
            if any(worker.mode.endswith("mostrecent") for _, worker in files):
                return _stock([name for name, _ in files])
            inputs: list[float] = []
            for _, worker in files:
                inputs.extend(worker.read(self._decoded))
            key = tuple((worker.serial, len(worker.keys)) for _, worker in files)
            if key != self._plan_key:
                self._plan, self._plan_key = _Plan([worker for _, worker in files]), key
            values = self._plan.values(inputs)
            strings = [floatToGoString(values[i]) for i in self._plan.order]
            return (self._plan.template % tuple(strings)).encode("utf-8")

    def _current_files(self) -> list[tuple[str, WorkerFile]]:
        """The folder's sized files in glob order (the stock merge's, hence its order of
        metrics and of additions), reopened where the path now names another file."""
        current = []
        for name in glob.glob(os.path.join(self.path, "*.db")):
            try:
                stat = os.stat(name)
                if stat.st_size == 0:  # created by a starting worker, not sized yet
                    continue
                worker = self._files.get(name)
                if worker is not None and worker.inode != stat.st_ino:
                    self._files.pop(name).close()
                    worker = None
                if worker is None:
                    worker = self._files[name] = WorkerFile(name)
            except FileNotFoundError:  # a live gauge removed by mark_process_dead meanwhile
                continue
            current.append((name, worker))
        for name in set(self._files) - {name for name, _ in current}:
            self._files.pop(name).close()
        return current


def _stock(files: list[str]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Rendered(list(MultiProcessCollector.merge(files, accumulate=True))))
    return generate_latest(registry)
