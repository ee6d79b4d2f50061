"""The datasets microgpt-tui knows how to fetch by name."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import DatasetError


@dataclass(frozen=True)
class KnownDataset:
    """Where a named set lives and what its bytes must be.

    The URL is pinned to a commit and the checksum to those exact bytes, so every
    learner trains on the same file the reference numbers were measured on.
    """

    name: str
    url: str
    sha256: str
    size: int  # bytes
    doc_count: int
    about: str

    @property
    def filename(self) -> str:
        return f"{self.name}.txt"

    @property
    def url_env(self) -> str:
        """The environment variable that points this set at a mirror or a local copy."""
        return f"MICROGPT_TUI_{self.name.upper()}_URL"

    def download_url(self) -> str:
        return os.environ.get(self.url_env) or self.url


KNOWN_DATASETS: dict[str, KnownDataset] = {
    "names": KnownDataset(
        name="names",
        url="https://raw.githubusercontent.com/karpathy/makemore/988aa59/names.txt",
        sha256="0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d",
        size=228_145,
        doc_count=32_033,
        about="first names, one per line (karpathy/makemore)",
    ),
}

DEFAULT_DATASET = "names"


def get_known(name: str) -> KnownDataset:
    try:
        return KNOWN_DATASETS[name]
    except KeyError:
        known = ", ".join(sorted(KNOWN_DATASETS))
        raise DatasetError(
            f"unknown dataset {name!r}; known datasets: {known} "
            "(or pass --data PATH for your own file)"
        ) from None
