"""Where a long build is, on a terminal: files landed (with rows per second), then dbt's models and
tests done of the total with the node running now, and the elapsed time.

Off the terminal (CI, a pipe) or with ``--quiet`` nothing here is shown: the output stays
line-based (dbt's own log lines, then the summary). The build's summary names its slowest nodes
either way.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class BuildProgress:
    """A transient progress display for one build (a context manager)."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[detail]}", style="dim"),
            console=console,
            transient=True,
        )
        self._landing: TaskID | None = None
        self._dbt: TaskID | None = None

    def __enter__(self) -> BuildProgress:  # noqa: PYI034 (typing.Self needs Python 3.11)
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def landing(self, files: int) -> None:
        """Landing starts: ``files`` input files to read."""
        self._landing = self._progress.add_task("landing", total=files, detail="")

    def landed(self, file: str, rows: int, seconds: float) -> None:
        """One file has landed."""
        if self._landing is None:
            return
        speed = f", {rows / seconds:,.0f} rows/s" if seconds > 0 and rows else ""
        self._progress.update(self._landing, advance=1, detail=f"{file}: {rows:,} rows{speed}")

    def dbt_event(self, event: Any) -> None:
        """A dbtRunner callback: counts the nodes as dbt starts and finishes them."""
        name = getattr(getattr(event, "info", None), "name", "")
        data = getattr(event, "data", None)
        if name == "LogStartLine" and data is not None:
            node = getattr(getattr(data, "node_info", None), "node_name", "") or ""
            if self._dbt is None:
                self._dbt = self._progress.add_task("dbt build", total=int(data.total), detail="")
            self._progress.update(self._dbt, detail=node)
        elif name == "NodeFinished" and self._dbt is not None:
            self._progress.update(self._dbt, advance=1)
