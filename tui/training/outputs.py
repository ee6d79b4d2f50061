"""Claiming the files a run writes, before step 1, so that no run loses its own work or another's.

A run writes a checkpoint (--checkpoint; in the app also the --resume file, which ctrl+s
saves back to) and a step log (--log-jsonl). Before training starts, claim_outputs checks:

- each output is a new file, except a checkpoint saved back over the one being resumed;
- no two outputs, and no output and an input (--data, --resume), are one file, links resolved;
- a new file can be made in each output's folder (a probe is created and removed);

and locks the checkpoint path for the run's life, so a second run on it is refused at once.
The command line and the app both claim through here; every refusal is an OutputError.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ...datasets import printable

try:
    import fcntl
except ImportError:  # Windows: no flock; runs there are not locked
    fcntl = None


class OutputError(Exception):
    """An output path the run cannot use; the message is one line, meant for the user.

    Escaped here, once, since it quotes paths that may hold anything (a newline, \\x1b).
    """

    def __init__(self, message: str):
        super().__init__(printable(message))


# ---- the checks --------------------------------------------------------------------


@contextmanager
def claim_outputs(
    checkpoint: str | None = None,
    log: str | None = None,
    *,
    data: str | None = None,
    resume: str | None = None,
) -> Iterator[CheckpointLock | None]:
    """Check every output path, then hold the checkpoint's lock until the block ends.

    `checkpoint` is where this run may save; it may be `resume` (saving back in place)
    but no other existing file. `log` must be a new file. Raises OutputError.
    """
    files = [(checkpoint, "--checkpoint"), (log, "--log-jsonl")]
    if checkpoint:
        files.append((lock_path(checkpoint), "the checkpoint's lock file"))
    outputs = [(path, option) for path, option in files if path]
    inputs = [(path, option) for path, option in ((data, "--data"), (resume, "--resume")) if path]
    if checkpoint:
        check_checkpoint_path(checkpoint, resume)
    if log:
        check_new_file(log, "--log-jsonl")
    check_distinct(outputs, inputs)
    for path, option in ((checkpoint, "--checkpoint"), (log, "--log-jsonl")):
        if path:
            check_folder_takes_files(path, option)
    lock = CheckpointLock(checkpoint) if checkpoint else None
    try:
        yield lock
    finally:
        if lock:
            lock.release()


def check_new_file(path: str, option: str) -> None:
    """A finished run's file is never overwritten: an output must not exist yet."""
    target = Path(path)
    if target.exists() or target.is_symlink():
        raise OutputError(f"{option} {path} already exists; choose a new path or remove the old file")
    check_folder_exists(path, option)


def check_checkpoint_path(path: str, resume: str | None) -> None:
    """--checkpoint may overwrite only the checkpoint being resumed, never any other file."""
    if resume and same_file(path, resume):
        return
    if Path(path).exists() or Path(path).is_symlink():
        raise OutputError(f"--checkpoint {path} already exists; choose a new path, or --resume it to continue that run")
    check_folder_exists(path, "--checkpoint")


def check_folder_exists(path: str, option: str) -> None:
    folder = Path(path).parent
    if not folder.is_dir():
        raise OutputError(f"{option} {path}: the folder {folder} does not exist")


def check_distinct(outputs: list[tuple[str, str]], inputs: list[tuple[str, str]]) -> None:
    """No two outputs and no output and input are the same file (after links), or one write destroys the other.

    The one exception is a checkpoint saved back over the file it resumed.
    """
    for i, (path, option) in enumerate(outputs):
        for other, other_option in outputs[i + 1:] + inputs:
            if other_option == "--resume" and option == "--checkpoint":
                continue
            if same_file(path, other):
                raise OutputError(f"{option} {path} and {other_option} {other} are the same file, so writing one "
                                  "would destroy the other; give each its own path")


def same_file(a: str, b: str) -> bool:
    """Whether two paths name one file: the same after resolving links, or two hard links to it."""
    a_path, b_path = Path(os.path.expanduser(a)), Path(os.path.expanduser(b))
    try:
        return a_path.samefile(b_path)
    except OSError:  # one of them does not exist yet: compare where each would be
        return os.path.realpath(a_path) == os.path.realpath(b_path)


def check_folder_takes_files(path: str, option: str) -> None:
    """Create and remove a file beside `path`: a read-only or forbidden folder is found now, not after the run."""
    folder = Path(path).parent
    try:
        fd, probe = tempfile.mkstemp(prefix=".microgpt-tui-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise OutputError(f"{option} {path}: cannot create a file in {folder} ({why(err)}); "
                          "choose a folder you can write to") from None


def why(err: OSError) -> str:
    """An OSError from writing a file, in a few words."""
    reasons = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is used up",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENOENT: "the folder is gone",
        errno.EIO: "an input/output error",
    }
    return reasons.get(err.errno) or (err.strerror or str(err)).lower()


# ---- room on the disk -----------------------------------------------------------------

# Lower bounds, so that a disk is never called full when the files would fit: a number in a
# checkpoint is written with repr() and ", " (16 to 26 bytes), a log line takes about 100.
CHECKPOINT_BYTES_PER_NUMBER = 16
LOG_BYTES_PER_STEP = 80


def checkpoint_bytes(num_params: int, steps: int) -> int:
    """At least how large the run's last checkpoint is: params, Adam's m and v, and a loss a step."""
    return CHECKPOINT_BYTES_PER_NUMBER * (3 * num_params + steps)


def log_bytes(steps: int) -> int:
    return LOG_BYTES_PER_STEP * steps


def check_room(needs: list[tuple[str, str, int]]) -> None:
    """Refuse before step 1 when a disk cannot hold what the run will write there.

    `needs` holds (path, option, bytes). Files on one disk add up. A full disk is otherwise
    found only when the first checkpoint is written, perhaps after the whole run.
    """
    by_disk: dict[int, list[tuple[str, str, int]]] = {}
    for path, option, size in needs:
        try:
            disk = os.stat(Path(path).parent).st_dev
        except OSError:
            continue  # the probe already made a file there; a folder lost since is found when writing
        by_disk.setdefault(disk, []).append((path, option, size))
    for files in by_disk.values():
        path, option, _ = files[0]
        try:
            disk = os.statvfs(Path(path).parent)
        except (OSError, AttributeError):  # no statvfs (Windows): found when writing
            continue
        free = disk.f_bavail * disk.f_frsize
        needed = sum(size for _, _, size in files)
        if free < needed:
            what = " and ".join(f"{option} {p}" for p, option, _ in files)
            raise OutputError(f"{what}: the disk has {_size(free)} free, but this run writes at least "
                              f"{_size(needed)} there; free some space or choose another folder")


def _size(size: int) -> str:
    return f"{size / 1e6:,.1f} MB" if size >= 1e6 else f"{size / 1e3:,.0f} kB"


# ---- the step log --------------------------------------------------------------------


class StepLog:
    """--log-jsonl, written a line at a time, each line whole or not at all.

    Unbuffered, so a line is on disk when write() returns. When a write fails (a full disk),
    the file is cut back to the end of the last whole line before the error is raised: every
    line in the log stays readable JSON.
    """

    def __init__(self, file):
        self._file = file  # raw, unbuffered bytes
        self._size = 0

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        try:
            done = 0
            while done < len(data):
                written = self._file.write(data[done:])
                if not written:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                done += written
        except OSError:
            try:
                os.ftruncate(self._file.fileno(), self._size)
                self._file.seek(self._size)  # a later line follows the last whole one, leaving no hole
            except OSError:
                pass
            raise
        self._size += len(data)

    def flush(self) -> None:
        """Nothing waits to be written; here for callers that treat this as a file."""

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> StepLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_new_log(path: str) -> StepLog:
    """Open --log-jsonl, a file that must not exist yet: a finished run's log is never overwritten."""
    try:
        return StepLog(open(path, "xb", buffering=0))
    except FileExistsError:
        raise OutputError(f"--log-jsonl {path} already exists; choose a new path or remove the old file") from None
    except OSError as err:
        raise OutputError(f"cannot create --log-jsonl {path} ({why(err)})") from None


# ---- one run per checkpoint path -----------------------------------------------------


def lock_path(checkpoint: str) -> str:
    return f"{checkpoint}.lock"


class CheckpointLock:
    """This process's exclusive claim on a checkpoint path, held until release().

    It is flock(2) on a file beside the checkpoint (run.json.lock) that holds our process
    id. flock rather than a lock file made with O_EXCL: the kernel lets go of a flock when
    its process ends, however it ends (kill -9, a crash, a power cut), so a lock never goes
    stale and no run has to guess whether an old process id still belongs to a live run.
    The file left behind by such a process is taken over by the next run; its process id
    only tells a refused run whose lock it met.
    """

    def __init__(self, checkpoint: str):
        self.checkpoint = checkpoint
        self.path = lock_path(checkpoint)
        self._fd: int | None = None
        if fcntl is not None:
            self._fd = self._take()

    def _take(self) -> int:
        # A run that releases removes the file while it holds the lock; if that happened
        # between our open and our flock, we locked a file no one else will look at: retry.
        for _ in range(100):
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(fd)
                os.close(fd)
                who = f"process {holder}" if holder else "another process"
                raise OutputError(f"--checkpoint {self.checkpoint} is in use by another microgpt-tui run ({who}); "
                                  "wait for it to finish, or choose another path") from None
            except OSError as err:
                os.close(fd)
                raise OutputError(f"cannot lock --checkpoint {self.checkpoint} ({why(err)})") from None
            try:
                still_there = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                still_there = False
            if still_there:
                return self._write_our_pid(fd)
            os.close(fd)
        raise OutputError(f"cannot lock --checkpoint {self.checkpoint}: its lock file keeps changing")

    def _open(self) -> int:
        try:
            # O_NOFOLLOW: a link planted at run.json.lock must not make us truncate its target
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
        except OSError as err:
            raise OutputError(f"cannot create the lock file {self.path} for --checkpoint ({why(err)})") from None
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or (info.st_size and _holder(fd) is None):
            os.close(fd)
            raise OutputError(f"{self.path} exists and is not a microgpt-tui lock file; "
                              "move it away, or choose another --checkpoint")
        return fd

    def _write_our_pid(self, fd: int) -> int:
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as err:
            self._give_up(fd)
            raise OutputError(f"cannot write the lock file {self.path} for --checkpoint ({why(err)})") from None
        return fd

    def _give_up(self, fd: int) -> None:
        # Remove the file while we still hold the lock, so that no run locks a file we are leaving.
        try:
            os.unlink(self.path)
        except OSError:
            pass
        os.close(fd)

    def release(self) -> None:
        """Let go of the path; safe to repeat."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            self._give_up(fd)

    def __enter__(self) -> CheckpointLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _holder(fd: int) -> int | None:
    """The process id written in a lock file, or None if it holds none (empty, or not ours)."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None
