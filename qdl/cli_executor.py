"""`--executor`, `--threads`, `--scheduler`, `--connect-timeout`: where `qdlc run`, `grad`, `train` run batches."""

from __future__ import annotations

import click

from qdl.cli_common import UsageError

EXECUTOR_OPTIONS = [
    click.option("--executor", "executor_name", type=click.Choice(["local", "dask"]), default="local",
                 show_default=True, help="Where a batch runs: threads of this process, or a Dask cluster."),
    click.option("--threads", type=click.IntRange(min=1), default=None,
                 help="Threads of the local executor (default 1)."),
    click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
                 help="The Dask scheduler of --executor dask."),
    click.option("--connect-timeout", type=click.FloatRange(min=0, min_open=True), default=10.0,
                 show_default=True, metavar="SECONDS", help="How long to try to reach the Dask scheduler."),
]


def executor_options(func):
    """The options above, passed on as `executor_name`, `threads`, `scheduler`, `connect_timeout`."""
    for option in reversed(EXECUTOR_OPTIONS):
        func = option(func)
    return func


def make_executor(name: str, threads: int | None, scheduler: str | None, timeout: float):
    """The executor the options choose; a usage error for options that do not fit together."""
    from qdl.runtime.executors import LocalExecutor
    if name == "local":
        if scheduler is not None:
            raise UsageError("--scheduler needs --executor dask")
        return LocalExecutor(threads or 1)
    if threads is not None:
        raise UsageError("--threads is for --executor local; a Dask cluster has its own workers and threads")
    if not scheduler:
        raise UsageError("--executor dask needs --scheduler tcp://HOST:PORT")
    from qdl.runtime.executors import DaskExecutor  # MissingExtraError (exit 1) without the `qdl[dask]` extra
    return DaskExecutor(scheduler, timeout=timeout)
