"""Reading a text file into documents, with a clear error for each way it can go wrong."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .dataset import Dataset
from .errors import DatasetError

# Each distinct character gets a row in the embedding and the output layer; past this,
# the file is almost certainly not the kind of text a tiny character model can learn.
MAX_VOCABULARY = 1000

_HINT = "pass --data with a UTF-8 text file, one document per line"


def load_file(path: str | os.PathLike[str]) -> Dataset:
    """Read a user's file (``--data PATH``): one document per line."""
    path = Path(path).expanduser().absolute()
    raw = read_bytes(path)
    return dataset_from_bytes(raw, name=path.name, source=path)


def read_bytes(path: Path) -> bytes:
    """The file's bytes, or a DatasetError that says why they can't be read."""
    if path.is_dir():
        raise DatasetError(f"{path} is a folder, not a file; {_HINT}")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DatasetError(f"{path} does not exist; check the path given to --data") from None
    except PermissionError:
        raise DatasetError(
            f"{path} cannot be read (permission denied); "
            "fix its permissions or copy it somewhere readable"
        ) from None
    except OSError as err:
        raise DatasetError(f"{path} cannot be read ({err.strerror or err}); {_HINT}") from None


def dataset_from_bytes(raw: bytes, *, name: str, source: Path) -> Dataset:
    """Turn file bytes into a Dataset the way the reference reads names.txt."""
    text = decode_text(raw, source)
    docs = split_documents(text)
    if not docs:
        raise DatasetError(f"{source} has no documents (it is empty or only blank lines); {_HINT}")
    chars = sorted(set("".join(docs)))
    if len(chars) > MAX_VOCABULARY:
        raise DatasetError(
            f"{source} uses {len(chars):,} distinct characters, more than the {MAX_VOCABULARY:,} "
            "a character model can handle here; use plain text such as one word or name per line"
        )
    return Dataset(
        docs=tuple(docs),
        chars=chars,
        name=name,
        source=source,
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def decode_text(raw: bytes, source: Path) -> str:
    """Strict UTF-8, refusing binary files; errors name the line so the user can find it."""
    nul_at = raw.find(b"\x00")
    if nul_at != -1:
        line = _line_number(raw, nul_at)
        raise DatasetError(
            f"{source} contains a NUL byte on line {line}, so it looks like a binary file; {_HINT}"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = _line_number(raw, err.start)
        raise DatasetError(
            f"{source} is not valid UTF-8 (line {line}); re-save it as UTF-8 or {_HINT}"
        ) from None
    # A byte-order mark is an encoding marker, not text; it must not become a vocabulary item.
    return text.removeprefix("\ufeff")


def split_documents(text: str) -> list[str]:
    """One document per line: strip each line, drop the empty ones, keep file order.

    The reference iterates ``open(path)``, which splits on \\n, \\r\\n and \\r alike
    (universal newlines) and nothing else; ``str.splitlines`` would also split on
    characters such as \\x0c, so it is not used here.
    """
    return [stripped for line in _lines(text) if (stripped := line.strip())]


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _line_number(raw: bytes, offset: int) -> int:
    """The 1-based line holding byte ``offset``, counting lines as split_documents does."""
    before = raw[:offset].decode("utf-8", errors="replace")
    return len(_lines(before))
