"""The ``--list-datasets`` report: each known set, its size, and whether it is cached."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .cache import cache_dir, cached_path, read_if_valid
from .registry import KNOWN_DATASETS, KnownDataset


@dataclass(frozen=True)
class DatasetStatus:
    known: KnownDataset
    path: Path
    cached: bool  # present with the right checksum, so loading needs no network


def list_datasets() -> list[DatasetStatus]:
    rows = []
    for known in KNOWN_DATASETS.values():
        cached = read_if_valid(known) is not None
        rows.append(DatasetStatus(known=known, path=cached_path(known), cached=cached))
    return rows


def describe_datasets() -> str:
    """A few plain lines for the terminal."""
    rows = list_datasets()
    width = max((len(row.known.name) for row in rows), default=0)
    lines = ["Known datasets:"]
    for row in rows:
        known = row.known
        state = "cached" if row.cached else "not downloaded yet"
        lines.append(
            f"  {known.name:<{width}}  {known.doc_count:,} docs, {_kilobytes(known.size)}, "
            f"{state}  - {known.about}"
        )
    lines.append(f"Cache folder: {cache_dir()}")
    lines.append("Use --data PATH to train on your own UTF-8 text file, one document per line.")
    return "\n".join(lines)


def _kilobytes(size: int) -> str:
    return f"{size / 1000:,.0f} kB"
