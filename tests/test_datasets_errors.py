"""DatasetError messages are one line and never carry a raw control character to the terminal."""

import os

import pytest

from microgpt_tui.datasets import DatasetError, load_file
from microgpt_tui.datasets.errors import printable


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("plain name.txt", "plain name.txt"),
        ("\x1b]2;INJECTED\x1b\\", "\\x1b]2;INJECTED\\x1b\\"),  # a terminal title, defused
        ("a\nb\rc\td", "a\\x0ab\\x0dc\\x09d"),
        ("del\x7f csi\x9b", "del\\x7f csi\\x9b"),  # DEL, and the one-byte C1 form of ESC [
        ("line\u2028para\u2029", "line\\u2028para\\u2029"),
        ("é ü 名前 …", "é ü 名前 …"),  # printable text outside ASCII is kept as it is
    ],
)
def test_printable_escapes_control_characters(raw, shown):
    assert printable(raw) == shown


def test_printable_shows_an_undecodable_file_name_byte_as_that_byte():
    name = os.fsdecode(b"caf\xe9.txt")  # Latin-1 bytes: not UTF-8, so Python holds a surrogate
    assert printable(name) == "caf\\xe9.txt"
    printable(name).encode("utf-8")  # stderr can print it; the surrogate itself would not encode


def test_every_message_is_escaped():
    message = str(DatasetError("bad\x1b[41mRED\x07\nname"))
    assert message == "bad\\x1b[41mRED\\x07\\x0aname"


def test_a_file_name_with_control_characters_is_shown_escaped(tmp_path):
    with pytest.raises(DatasetError) as info:
        load_file(tmp_path / "\x1b]2;INJECTED\x07\nnames.txt")
    message = str(info.value)
    assert "\\x1b]2;INJECTED\\x07\\x0anames.txt does not exist" in message
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in message)
