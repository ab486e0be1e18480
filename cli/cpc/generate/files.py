"""Writing the generated files: frames through duckdb, deterministic gzip, stale month files."""

from __future__ import annotations

import re
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import duckdb
import pandas as pd

GZIP_LEVEL = 1


def sql_path(path: Path) -> str:
    """A file path as a SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def _gzip(src: Path, dest: Path) -> None:
    """Compress `src` into `dest` (deterministic gzip: no name, no timestamp) and remove it."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
    with src.open("rb") as fin, dest.open("wb") as fout:
        while chunk := fin.read(16 << 20):
            fout.write(compressor.compress(chunk))
        fout.write(compressor.flush())
    src.unlink()


class Writer:
    """Writes frames with duckdb; gzip compression runs in a background thread."""

    def __init__(self, file_format: str) -> None:
        self.file_format = file_format
        self.con = duckdb.connect()
        self.pool = ThreadPoolExecutor(max_workers=1)
        self.pending: list[Future[None]] = []
        self.files: list[Path] = []

    def write(self, frame: pd.DataFrame, select: str, dest: Path) -> None:
        # Copying straight from a pandas frame is several times slower than staging it in a
        # duckdb table first (the scan converts categoricals chunk by chunk).
        self.con.register("frame", frame)
        try:
            self._run(f"CREATE OR REPLACE TEMP TABLE staged AS {select}")
        finally:
            self.con.unregister("frame")
        try:
            if self.file_format == "parquet":
                self._run(f"COPY staged TO {sql_path(dest)} (FORMAT parquet, COMPRESSION zstd)")
            elif self.file_format == "csv":
                self._run(f"COPY staged TO {sql_path(dest)} (FORMAT csv, HEADER true)")
            else:
                tmp = dest.with_name(f".{dest.name.removesuffix('.gz')}.tmp")
                self._run(
                    f"COPY staged TO {sql_path(tmp)} (FORMAT csv, HEADER true, COMPRESSION none)"
                )
                self._wait(keep=1)
                self.pending.append(self.pool.submit(_gzip, tmp, dest))
        finally:
            self._run("DROP TABLE staged")
        self.files.append(dest)

    def write_csv(self, frame: pd.DataFrame, select: str, dest: Path) -> None:
        self.con.register("frame", frame)
        try:
            self._run(f"COPY ({select}) TO {sql_path(dest)} (FORMAT csv, HEADER true)")
        finally:
            self.con.unregister("frame")
        self.files.append(dest)

    def _run(self, sql: str) -> None:
        self.con.execute(sql).fetchall()

    def _wait(self, keep: int = 0) -> None:
        while len(self.pending) > keep:
            self.pending.pop(0).result()

    def close(self) -> None:
        try:
            self._wait()
        finally:
            self.pool.shutdown(wait=True)
            self.con.close()


#: The month files the generator writes (and a gzip run's temporary file).
OWN_FILE = re.compile(r"\.?(focus|usage|k8s-usage)-\d{4}-\d{2}\.(csv|csv\.gz|parquet|csv\.tmp)")


def clean_month_files(out_dir: Path) -> None:
    """Remove month files an earlier run wrote (only names the generator writes), so a shorter
    window or another format leaves no stale months behind."""
    for sub in ("billing", "usage", "k8s_usage"):
        folder = out_dir / sub
        folder.mkdir(parents=True, exist_ok=True)
        for path in folder.iterdir():
            if path.is_file() and OWN_FILE.fullmatch(path.name):
                path.unlink()

