"""Prometheus multiprocess metrics for the services that run under gunicorn: the API and
the alert bridge. Both import this one package (it sits at the repo root like alertstore/).

* `exposition(multiproc_dir, *collectors)`: the text exposition of every worker's metrics,
  built from a fresh registry per scrape, plus scrape-time collectors (values read from
  Redis). It skips files a starting worker has created but not yet sized, and folds the
  files of dead workers first.
* `worker_exited(pid, multiproc_dir)`: for gunicorn's `child_exit` hook.
* `fold_dead_workers(multiproc_dir)`: what every scrape does anyway; exposed for tests.
* `multiprocess_mode()`: whether this process's values go to a multiprocess folder.

prometheus_client, public API relied on: `CollectorRegistry`, `generate_latest`, `REGISTRY`,
`multiprocess.MultiProcessCollector.merge` (a static method documented for merging files),
`multiprocess.mark_process_dead`.
Internals relied on (no public API exists for them): the folder's file naming
`<type>[_<gauge mode>]_<pid>.db`, `mmap_dict.MmapedDict` (`read_all_values_from_file`,
`write_value`, `close`) to write the archives, the environment test by which
prometheus_client picks multiprocess mode at import (`values.get_value_class`), and the
fact that a new worker's file is created empty and sized right after.
Tested with prometheus-client 0.26.0 (pinned in requirements.txt): tests/procmetrics/.
"""

from procmetrics.exposition import exposition, multiprocess_mode
from procmetrics.folder import fold_dead_workers, worker_exited

__all__ = ["exposition", "fold_dead_workers", "multiprocess_mode", "worker_exited"]
