"""Loading a user's file (--data PATH): documents, vocabulary, and every way a file can be bad."""

import hashlib
import os
from pathlib import Path

import pytest

from microgpt_tui.datasets import KNOWN_DATASETS, Dataset, DatasetError, load_file


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

        def refuse(self):
            raise PermissionError(13, "Permission denied", str(self))

        monkeypatch.setattr(Path, "read_bytes", refuse)
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
