"""Loading a user's file (--data PATH): documents, vocabulary, and every way a file can be bad."""

import hashlib
import os
import socket
import stat
import threading
import tracemalloc
from pathlib import Path

import pytest

from microgpt_tui.datasets import KNOWN_DATASETS, Dataset, DatasetError, load_file
from microgpt_tui.datasets.files import MAX_DATA_BYTES, read_bytes


def write(tmp_path, content: bytes, name="data.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def load_error(path) -> str:
    with pytest.raises(DatasetError) as info:
        load_file(path)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_lines_are_stripped_blank_lines_dropped_order_kept(tmp_path):
    path = write(tmp_path, b"  zoe \n\n\t\nolivia\r\nava\rmary ann\n   \nbea")
    dataset = load_file(path)
    assert dataset.docs == ("zoe", "olivia", "ava", "mary ann", "bea")


def test_only_newlines_split_documents(tmp_path):
    # The reference reads with open(), which splits on \n, \r\n and \r only; a form
    # feed inside a line is whitespace to strip at the ends, not a line break.
    path = write(tmp_path, b"a\x0cb\n\x0cc\x0c\n")
    assert load_file(path).docs == ("a\x0cb", "c")


def test_vocabulary_is_the_sorted_distinct_characters(tmp_path):
    dataset = load_file(write(tmp_path, "bca\nébé\n".encode()))
    assert dataset.chars == ["a", "b", "c", "é"]


def test_byte_order_mark_is_not_a_character(tmp_path):
    dataset = load_file(write(tmp_path, "\ufeffanna\nbo\n".encode()))
    assert dataset.docs == ("anna", "bo")
    assert "\ufeff" not in dataset.chars


def test_identity_fields(tmp_path):
    raw = b"ab\ncd\n"
    dataset = load_file(write(tmp_path, raw, name="pets.txt"))
    assert isinstance(dataset, Dataset)
    assert dataset.name == "pets.txt"
    assert dataset.source == tmp_path / "pets.txt"
    assert dataset.source.is_absolute()
    assert dataset.sha256 == hashlib.sha256(raw).hexdigest()
    assert dataset.description == "pets.txt · 2 docs"


def test_description_groups_thousands(tmp_path):
    dataset = load_file(write(tmp_path, b"x\n" * 1234))
    assert dataset.description.endswith("1,234 docs")


def test_dataset_is_frozen(tmp_path):
    dataset = load_file(write(tmp_path, b"ab\n"))
    with pytest.raises(AttributeError):
        dataset.docs = ()


def test_count_longer_than_block(tmp_path):
    # A document of length L has L + 1 positions; only block_size of them are trained.
    dataset = load_file(write(tmp_path, b"ab\nabc\nabcdefg\n"))
    assert dataset.count_longer_than(3) == 2  # "abc" (4 > 3) and "abcdefg"
    assert dataset.count_longer_than(4) == 1
    assert dataset.count_longer_than(7) == 1  # 7 + 1 > 7
    assert dataset.count_longer_than(8) == 0  # 7 + 1 fits exactly


def test_real_names_txt(names_path):
    dataset = load_file(names_path)
    assert len(dataset.docs) == 32_033
    assert len(dataset.chars) == 26
    assert dataset.chars == [chr(c) for c in range(ord("a"), ord("z") + 1)]
    assert dataset.sha256 == KNOWN_DATASETS["names"].sha256
    assert names_path.stat().st_size == KNOWN_DATASETS["names"].size
    assert dataset.docs[:3] == ("emma", "olivia", "ava")
    assert dataset.count_longer_than(16) == 0  # the longest name is 15 letters


# --- bad files: each is one line saying what is wrong and what to do -------------


def test_missing_file(tmp_path):
    message = load_error(tmp_path / "nope.txt")
    assert "nope.txt" in message
    assert "does not exist" in message


def test_directory(tmp_path):
    assert "is a folder" in load_error(tmp_path)


def test_unreadable_file(tmp_path, monkeypatch):
    path = write(tmp_path, b"ab\n")
    path.chmod(0)
    if os.access(path, os.R_OK):  # root reads anything: make the refusal happen anyway
        real_open = os.open

        def refuse(name, *args, **kwargs):
            if Path(name) == path:
                raise PermissionError(13, "Permission denied", str(name))
            return real_open(name, *args, **kwargs)

        monkeypatch.setattr(os, "open", refuse)
    try:
        assert "permission denied" in load_error(path)
    finally:
        path.chmod(0o644)


@pytest.mark.parametrize(
    "content", [b"", b"\n\n", b"  \n\t\r\n"], ids=["empty", "newlines", "spaces"]
)
def test_no_documents(tmp_path, content):
    assert "no documents" in load_error(write(tmp_path, content))


def test_not_utf8_names_the_line(tmp_path):
    message = load_error(write(tmp_path, b"ab\ncd\nna\xefve\n"))
    assert "not valid UTF-8" in message
    assert "line 3" in message


def test_not_utf8_line_counts_carriage_returns(tmp_path):
    assert "line 2" in load_error(write(tmp_path, b"ab\r\xff\n"))


def test_nul_byte(tmp_path):
    message = load_error(write(tmp_path, b"ab\ncd\x00ef\n"))
    assert "NUL byte" in message
    assert "line 2" in message


def test_vocabulary_too_large(tmp_path):
    text = "".join(chr(0x4E00 + i) for i in range(1001))
    message = load_error(write(tmp_path, text.encode()))
    assert "1,001 distinct characters" in message


def test_vocabulary_at_the_limit_is_fine(tmp_path):
    text = "".join(chr(0x4E00 + i) for i in range(1000))
    assert len(load_file(write(tmp_path, text.encode())).chars) == 1000


# --- bounded input: only regular files, and only up to MAX_DATA_BYTES, checked before reading ---


def refused_without_hanging(path, *, release=None) -> str:
    """load_file's one-line refusal, run in a thread so that a hang fails the test instead.

    The 10 s only stops a hang; `release` unblocks a stuck thread before the test fails.
    """
    outcome = {}

    def run():
        try:
            load_file(path)
        except BaseException as err:  # handed to the test below
            outcome["error"] = err

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():
        if release:
            release()
        pytest.fail(f"load_file({path}) still running after 10 s")
    assert isinstance(outcome.get("error"), DatasetError), outcome
    message = str(outcome["error"])
    assert "\n" not in message
    return message


def writer_for(fifo):
    """Open the FIFO's writing end, which lets a reader stuck in open() go on."""

    def release():
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass

    return release


def test_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "names.fifo"
    os.mkfifo(fifo)
    message = refused_without_hanging(fifo, release=writer_for(fifo))
    assert f"{fifo} is a named pipe (FIFO), not a regular file" in message
    assert "save the text to a file" in message


def test_a_path_that_becomes_a_fifo_after_the_stat_is_refused(tmp_path, monkeypatch):
    # The type is checked again on the open file, and the open itself does not wait.
    fifo = tmp_path / "swapped.fifo"
    os.mkfifo(fifo)
    regular = tmp_path / "regular.txt"
    regular.write_text("ab\n")
    real_stat = os.stat
    monkeypatch.setattr(os, "stat", lambda p, *a, **k: real_stat(regular if Path(p) == fifo else p))
    message = refused_without_hanging(fifo, release=writer_for(fifo))
    assert "named pipe (FIFO)" in message


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_is_refused_as_a_device():
    message = refused_without_hanging("/dev/zero")
    assert message.startswith("/dev/zero is a device, not a regular file;")


def test_socket_is_refused(tmp_path):
    path = tmp_path / "s.sock"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        assert stat.S_ISSOCK(os.stat(path).st_mode)
        assert "is a socket, not a regular file" in refused_without_hanging(path)
    finally:
        server.close()


def test_huge_sparse_file_is_refused_without_being_read(tmp_path):
    path = tmp_path / "huge.txt"
    with open(path, "wb") as f:
        f.truncate(2 * 1024**3)  # 2 GB of nothing on disk: a hole, not data
    tracemalloc.start()
    try:
        message = refused_without_hanging(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "holds 2,147,483,648 bytes, more than the 64 MB a data file may have" in message
    assert peak < 5_000_000  # reading it would have needed 2 GB


def test_one_byte_over_the_limit_is_refused(tmp_path):
    path = tmp_path / "big.txt"
    with open(path, "wb") as f:
        f.truncate(MAX_DATA_BYTES + 1)
    message = refused_without_hanging(path)
    assert f"holds {MAX_DATA_BYTES + 1:,} bytes" in message
    assert "a smaller file" in message


def test_the_limit_itself_is_allowed(tmp_path):
    path = write(tmp_path, b"ab\ncd\n")
    assert read_bytes(path, limit=6) == b"ab\ncd\n"
    with pytest.raises(DatasetError, match="holds 6 bytes, more than the 5 bytes"):
        read_bytes(path, limit=5)


@pytest.mark.skipif(not os.path.isfile("/proc/self/status"), reason="needs Linux /proc")
def test_a_file_longer_than_its_stat_size_is_still_bounded():
    # /proc files say they hold 0 bytes and then give more: the limit still holds.
    proc = Path("/proc/self/status")
    assert os.stat(proc).st_size == 0
    assert b"Name:" in read_bytes(proc)
    with pytest.raises(DatasetError, match="holds more than the 10 bytes"):
        read_bytes(proc, limit=10)


def test_empty_path_says_it_is_empty():
    message = refused_without_hanging("")
    assert message.startswith("the path given to --data is empty;")
    assert "folder" not in message


def test_directory_is_refused_by_type(tmp_path):
    assert refused_without_hanging(tmp_path).startswith(f"{tmp_path} is a folder, not a file;")


def test_unknown_home_folder_is_just_a_missing_file():
    assert "does not exist" in refused_without_hanging("~no-such-user-here/names.txt")


def test_nul_in_the_path_is_refused_in_one_line():
    message = refused_without_hanging("names\x00.txt")
    assert "not a usable file name" in message
    assert "\\x00" in message
