"""The one exception the data layer raises, and the escaping that keeps it safe to print."""

import re

# C0 and C1 control characters and DEL, the two Unicode line breaks, and lone surrogates
# (how Python holds the bytes of a file name that is not UTF-8, which stderr cannot encode).
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with every control character written as an escape such as ``\\x1b``.

    A file name or an address can hold anything: printed raw, ``\\x1b]2;...`` retitles the
    terminal and a newline splits a one-line message in two.
    """
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for an undecodable byte: show the byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


class DatasetError(Exception):
    """Something is wrong with the data; ``str(err)`` is one line meant for the user.

    The CLI prints it as is, so every message says what went wrong and what to do next.
    The message is escaped here, once, because it often quotes a path or an address.
    """

    def __init__(self, message: str):
        super().__init__(printable(message))
