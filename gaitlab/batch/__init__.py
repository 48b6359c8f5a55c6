"""``gaitlab batch``: analyse a folder tree of walking videos (or a manifest of two-clip sessions) on a
local process pool or a Dask cluster, with per-clip failure isolation, resumable done-markers and
aggregate tables. It adds no analysis logic: every clip goes through ``gaitlab.analyze()`` and
``gaitlab.export.write_outputs()``.

Modules: ``discover`` (find clips, read manifests), ``state`` (content-hash cache, analysis keys,
done-markers), ``runner`` (the per-clip task and the orchestrator), ``dask_backend``, ``aggregate``
(batch_*.csv), ``progress``, ``cli``. Entry point for Python callers: :func:`gaitlab.batch.runner.run_batch`
(this package imports nothing at load time so that the CLI starts fast).
"""
