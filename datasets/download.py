"""First-run download: fetch, check the checksum, then put the file in the cache in one step."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from .errors import DatasetError
from .registry import KnownDataset

# Seconds to wait for the connection, and then for each read; a stalled server fails
# with a message instead of hanging the app's startup.
TIMEOUT = 20
# Seconds allowed for the whole download, so a server that sends a byte every few seconds,
# each inside TIMEOUT, cannot hold the first run forever. It is checked before each read of
# the body, so a download ends at most one read's TIMEOUT past it (while urllib reads the
# headers, only TIMEOUT applies). 5 minutes for 228 kB is 760 bytes a second.
DEADLINE = 300
CHUNK = 64 * 1024


def download(
    known: KnownDataset,
    dest: Path,
    *,
    show_progress: bool | None = None,
    deadline: float | None = None,
) -> bytes:
    """Fetch ``known`` into ``dest`` and return its bytes, or raise DatasetError.

    ``deadline`` is the seconds allowed for the whole download (None: DEADLINE).

    The body is held in memory (a few hundred KB) and written only after its checksum
    matches, through a temporary file and ``os.replace``, so the cache never holds a
    partial or wrong file, whatever goes wrong, Ctrl-C included.
    """
    url = known.download_url()
    if show_progress is None:
        show_progress = sys.stderr.isatty()
    raw = _fetch(known, url, show_progress, DEADLINE if deadline is None else deadline)
    got = hashlib.sha256(raw).hexdigest()
    if got != known.sha256:
        raise _failure(
            known, url,
            f"checksum mismatch (got sha256 {got[:12]}…, expected {known.sha256[:12]}…)",
            _check_address(known),
        )
    _write_atomically(dest, raw, known, url)
    return raw


def _fetch(known: KnownDataset, url: str, show_progress: bool, deadline: float) -> bytes:
    give_up_at = time.monotonic() + deadline
    try:
        # No single wait may outlast the whole deadline, should that be the shorter.
        with urllib.request.urlopen(url, timeout=min(TIMEOUT, deadline)) as response:
            declared = _content_length(response)
            with _progress(known, declared, show_progress) as advance:
                body = _read_body(known, url, response, advance, give_up_at, deadline)
    except DatasetError:
        raise
    except urllib.error.HTTPError as err:
        err.close()
        what = f"HTTP error {err.code} {err.reason}"
        raise _failure(known, url, what, _check_address(known)) from None
    except urllib.error.URLError as err:
        raise _failure(known, url, f"cannot connect ({_reason(err.reason)})") from None
    except TimeoutError:
        if time.monotonic() >= give_up_at:
            raise _too_slow(known, url, deadline) from None
        raise _failure(known, url, f"no answer within {TIMEOUT} seconds") from None
    except (http.client.HTTPException, OSError) as err:
        raise _failure(known, url, f"the download broke off ({_reason(err)})") from None
    except ValueError as err:  # e.g. "unknown url type" for a mistyped override
        raise _failure(known, url, f"bad address ({_reason(err)})", _check_address(known)) from None

    if declared is not None and len(body) != declared:
        what = f"the download was cut short ({len(body):,} of {declared:,} bytes)"
        raise _failure(known, url, what)
    return body


def _read_body(known: KnownDataset, url: str, response, advance, give_up_at, deadline) -> bytes:
    chunks = []
    received = 0
    while True:
        if time.monotonic() >= give_up_at:
            raise _too_slow(known, url, deadline)
        # read1 returns whatever one read brings; read(CHUNK) would wait for all 64 KB,
        # a byte at a time from a slow server, without coming back to check the deadline.
        chunk = response.read1(CHUNK)
        if not chunk:
            break
        received += len(chunk)
        # A wrong mirror could serve anything; don't keep reading far past the real file.
        if received > known.size:
            what = f"the file is larger than the expected {known.size:,} bytes"
            raise _failure(known, url, what, _check_address(known))
        chunks.append(chunk)
        advance(len(chunk))
    return b"".join(chunks)


def _content_length(response) -> int | None:
    value = response.headers.get("Content-Length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


@contextlib.contextmanager
def _progress(known: KnownDataset, total: int | None, show: bool):
    """Yield a function that advances a rich progress bar on stderr, or does nothing."""
    if not show:
        yield lambda n: None
        return
    # Imported here so that loading a cached set never pays for rich.
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (
        TextColumn(f"downloading {known.name}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(file=sys.stderr)) as progress:
        task = progress.add_task(known.name, total=total or known.size)
        yield lambda n: progress.advance(task, n)


def _write_atomically(dest: Path, raw: bytes, known: KnownDataset, url: str) -> None:
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DatasetError(
            f"cannot create the cache folder {dest.parent} ({_reason(err)}); "
            "set MICROGPT_TUI_CACHE to a writable folder, or pass --data PATH to use a local file"
        ) from None
    # The temporary file sits beside the target so os.replace is a rename within one
    # filesystem: readers see the old state or the whole new file, never half of it.
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as tmp:
            # mkstemp makes the file private (0600); a cache file is ordinary data.
            os.fchmod(tmp.fileno(), 0o644)
            tmp.write(raw)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, dest)
    except BaseException as err:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        if isinstance(err, OSError):
            raise DatasetError(
                f"cannot save {known.name} from {url} into {dest.parent} ({_reason(err)}); "
                "free some space or set MICROGPT_TUI_CACHE, or pass --data PATH to use a local file"
            ) from None
        raise


def _failure(
    known: KnownDataset, url: str, what: str, advice: str = "check your connection and try again"
) -> DatasetError:
    return DatasetError(
        f"could not download {known.name} from {url}: {what}; "
        f"{advice}, or pass --data PATH to use a local file"
    )


def _too_slow(known: KnownDataset, url: str, deadline: float) -> DatasetError:
    return _failure(known, url, f"not finished within {deadline:g} seconds")


def _check_address(known: KnownDataset) -> str:
    """Advice for when the server answered but with the wrong thing."""
    if os.environ.get(known.url_env):
        return f"check the address in {known.url_env}"
    return f"the address may have moved (set {known.url_env} to a mirror)"


def _reason(thing: object) -> str:
    """A reason squeezed onto one line, since the whole message must stay on one line."""
    if isinstance(thing, OSError) and thing.strerror:
        return thing.strerror
    return " ".join(str(thing).split()) or type(thing).__name__
