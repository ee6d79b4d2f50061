"""The dataset object shared by the engine and the app."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Dataset:
    """A list of documents, plus what the app needs to say where they came from.

    A document is one line of the source file (for names.txt: one name). The model is
    character-level, so its vocabulary is ``chars`` plus the BOS token the engine adds.
    """

    # A tuple, so a trainer that shuffles must copy first and can't reorder the app's view.
    docs: tuple[str, ...]
    chars: list[str]
    name: str
    source: Path
    sha256: str

    @property
    def description(self) -> str:
        """A short label for the status bar, e.g. ``names · 32,033 docs``."""
        return f"{self.name} · {len(self.docs):,} docs"

    def count_longer_than(self, block_size: int) -> int:
        """How many documents are too long to be trained on in full.

        A document of L characters becomes BOS + L characters + BOS: L + 1 positions that
        each predict the next token. The engine trains only the first ``block_size`` of
        them, so anything with L + 1 > block_size loses its tail.
        """
        return sum(1 for doc in self.docs if len(doc) + 1 > block_size)
