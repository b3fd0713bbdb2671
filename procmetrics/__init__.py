"""Prometheus multiprocess metrics for the services that run under gunicorn: the API and
the alert bridge. Both import this one package (it sits at the repo root like alertstore/).

* `exposition(multiproc_dir, *collectors)`: the text exposition of every worker's metrics,
  plus scrape-time collectors (values read from Redis). It prints exactly what stock
  `MultiProcessCollector` + `generate_latest` print for the folder, but decodes each file's
  keys once per process and on later scrapes reads only the values (merged.py). It skips
  files a starting worker has created but not yet sized, and folds the files of dead
  workers first.
* `worker_exited(pid, multiproc_dir)`: for gunicorn's `child_exit` hook.
* `fold_dead_workers(multiproc_dir)`: what every scrape does anyway; exposed for tests.
* `multiprocess_mode()`: whether this process's values go to a multiprocess folder.

prometheus_client, public API relied on: `CollectorRegistry`, `generate_latest`, `REGISTRY`,
`multiprocess.MultiProcessCollector.merge` (a static method documented for merging files),
`multiprocess.mark_process_dead`, `utils.floatToGoString` (the number format of the text
exposition), `metrics_core.Metric` and `samples.Sample` (to have generate_latest render the
merged series once, as a template).
Internals relied on (no public API exists for them): the folder's file naming
`<type>[_<gauge mode>]_<pid>.db`; the file layout MmapedDict's docstring describes (a used
offset, then append-only entries of key, value and timestamp at fixed offsets: files.py);
the json key `[metric name, sample name, labels, help]` (`mmap_dict.mmap_key`); how
`MultiProcessCollector._read_metrics` / `_accumulate_metrics` merge (order of metrics, of
samples and of additions, gauge modes, cumulative buckets), mirrored in merged.py;
`mmap_dict.MmapedDict` (`read_all_values_from_file`, `write_value`, `close`) to write the
archives; the environment test by which prometheus_client picks multiprocess mode at import
(`values.get_value_class`); and the fact that a new worker's file is created empty and
sized right after.
Tested with prometheus-client 0.26.0 (pinned in requirements.txt): tests/procmetrics/,
whose test_stock_identity.py compares every scrape with the stock merge byte for byte.
"""

from procmetrics.exposition import exposition, multiprocess_mode
from procmetrics.folder import fold_dead_workers, worker_exited

__all__ = ["exposition", "fold_dead_workers", "multiprocess_mode", "worker_exited"]
