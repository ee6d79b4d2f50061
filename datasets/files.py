"""Reading a text file into documents, with a clear error for each way it can go wrong."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from .dataset import Dataset
from .errors import DatasetError

# Each distinct character gets a row in the embedding and the output layer; past this,
# the file is almost certainly not the kind of text a tiny character model can learn.
MAX_VOCABULARY = 1000

# The most a data file may hold, checked before it is read. names.txt is 228 kB; 64 MB of
# text is far more than a 4,192-parameter model learns from, and still fits in memory.
MAX_DATA_BYTES = 64_000_000

_HINT = "pass --data with a UTF-8 text file, one document per line"


def load_file(path: str | os.PathLike[str]) -> Dataset:
    """Read a user's file (``--data PATH``): one document per line."""
    if os.fspath(path) == "":
        raise DatasetError(f"the path given to --data is empty; {_HINT}")
    # os.path.expanduser leaves an unknown ~user as it is; Path.expanduser raises.
    path = Path(os.path.expanduser(path)).absolute()
    raw = read_bytes(path)
    return dataset_from_bytes(raw, name=path.name, source=path)


def read_bytes(path: Path, limit: int = MAX_DATA_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or a DatasetError saying why not.

    Type and size are checked before the file is opened: opening a FIFO waits for a writer,
    /dev/zero never ends, and a 2 GB file would be read whole before any other check.
    """
    try:
        _check_size_and_type(path, os.stat(path), limit)
        # O_NONBLOCK: should the path turn into a FIFO after the stat, the open returns at
        # once and the fstat below refuses it, instead of waiting for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(fd, "rb") as file:
            expected = os.fstat(fd)
            _check_size_and_type(path, expected, limit)
            raw = file.read(expected.st_size + 1)
            if len(raw) > expected.st_size:  # it grew, or it is a /proc-style file that says 0
                raw += file.read(limit + 1 - len(raw))
    except FileNotFoundError:
        raise DatasetError(f"{path} does not exist; check the path given to --data") from None
    except PermissionError:
        raise DatasetError(
            f"{path} cannot be read (permission denied); "
            "fix its permissions or copy it somewhere readable"
        ) from None
    except OSError as err:
        raise DatasetError(f"{path} cannot be read ({err.strerror or err}); {_HINT}") from None
    except ValueError as err:  # a NUL in the path, or a lone surrogate the OS cannot encode
        why = "a character no file name can hold" if isinstance(err, UnicodeError) else err
        raise DatasetError(
            f"{path} is not a usable file name ({why}); check the path given to --data"
        ) from None
    if len(raw) > limit:
        raise _too_large(path, limit)
    return raw


def _check_size_and_type(path: Path, info: os.stat_result, limit: int) -> None:
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise DatasetError(f"{path} is a folder, not a file; {_HINT}")
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        kind = "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a socket"
        raise DatasetError(
            f"{path} is {kind}, not a regular file; "
            "save the text to a file and pass --data with that file"
        )
    if not stat.S_ISREG(mode):
        kind = "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a special file"
        raise DatasetError(f"{path} is {kind}, not a regular file; {_HINT}")
    if info.st_size > limit:
        raise _too_large(path, limit, info.st_size)


def _too_large(path: Path, limit: int, size: int | None = None) -> DatasetError:
    how_much = f"{size:,} bytes, more" if size is not None else "more"
    return DatasetError(
        f"{path} holds {how_much} than the {_megabytes(limit)} a data file may have; "
        "pass --data with a smaller file, such as a sample of its lines"
    )


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:g} MB" if size >= 1_000_000 else f"{size:,} bytes"


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
