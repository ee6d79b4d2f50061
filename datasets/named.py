"""Choosing a dataset: a user's file, or a named set fetched once and cached."""

from __future__ import annotations

from .cache import cached_path, read_if_valid
from .dataset import Dataset
from .download import download
from .files import dataset_from_bytes, load_file
from .registry import DEFAULT_DATASET, get_known


def load_named(name: str = DEFAULT_DATASET, *, show_progress: bool | None = None) -> Dataset:
    """A known set from the cache, downloading it first if it is missing or damaged.

    ``show_progress=None`` shows a progress bar only when stderr is a terminal.
    """
    known = get_known(name)
    path = cached_path(known)
    raw = read_if_valid(known)
    if raw is None:
        raw = download(known, path, show_progress=show_progress)
    return dataset_from_bytes(raw, name=known.name, source=path)


def resolve_dataset(data: str | None = None, name: str | None = None) -> Dataset:
    """What the command line asked for: ``--data PATH`` wins, else the named set."""
    if data is not None:
        return load_file(data)
    return load_named(name or DEFAULT_DATASET)
