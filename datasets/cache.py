"""Where downloaded datasets are kept between runs."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .errors import DatasetError
from .files import read_bytes
from .registry import KnownDataset


def cache_dir() -> Path:
    """Where downloads are kept.

    ``$MICROGPT_TUI_CACHE``, else ``$XDG_CACHE_HOME/microgpt-tui``, else ``~/.cache/microgpt-tui``.
    """
    override = os.environ.get("MICROGPT_TUI_CACHE")
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    # The XDG spec says a relative value is invalid and must be ignored.
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "microgpt-tui"
    return Path.home() / ".cache" / "microgpt-tui"


def cached_path(known: KnownDataset) -> Path:
    return cache_dir() / known.filename


def read_if_valid(known: KnownDataset) -> bytes | None:
    """The cached bytes if they are exactly the registered file, else None.

    Hashing a few hundred kilobytes costs about a millisecond, and it catches a file
    damaged or edited since it was downloaded. Anything but a regular file of the
    registered size or less is not read at all: a FIFO there would wait forever.
    """
    try:
        raw = read_bytes(cached_path(known), limit=known.size)
    except DatasetError:
        return None
    if hashlib.sha256(raw).hexdigest() != known.sha256:
        return None
    return raw
