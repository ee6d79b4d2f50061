"""Reading the terminal so that no input can end the app.

Textual's Linux driver reads the terminal in a thread, decodes it as UTF-8 and parses it
into keys. Two kinds of input used to end the app with its run unsaved:

- a byte that is not UTF-8 (a stray Latin-1 key, `tmux send-keys -H e9`) raised
  UnicodeDecodeError in that thread, which closed the app;
- an ESC inside a bracketed paste made Textual's parser replay the rest of the paste as
  key presses, so pasting `ka\\x1b[41mRED...zqd` pressed q (quit) and then d (discard).

ForgivingLinuxDriver reads the same way, but drops undecodable bytes (and tells the app,
once per burst) and removes control characters from inside a paste, so a paste is text.
"""

from __future__ import annotations

import os
import re
import selectors
from codecs import getincrementaldecoder

from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver
from textual.message import Message

PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"
REPLACEMENT = "\ufffd"  # what the decoder puts where a byte was not UTF-8
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # keeps tab and line breaks: a paste may hold lines


class UndecodableInput(Message):
    """Bytes from the terminal that were not UTF-8 were ignored."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count


class PasteFilter:
    """Removes control characters between the terminal's paste markers, across reads.

    Outside a paste the text passes untouched and at once (an Escape key must not wait).
    Inside one, a piece that might be the start of the end marker waits for the next read.
    """

    def __init__(self) -> None:
        self.in_paste = False
        self._held = ""  # inside a paste: a tail that may be the start of PASTE_END
        self._tail = ""  # outside: the last few characters, in case PASTE_START spans two reads

    def __call__(self, text: str) -> str:
        out = []
        while text:
            if not self.in_paste:
                seen = self._tail + text
                start = seen.find(PASTE_START)
                if start < 0:
                    out.append(text)
                    self._tail = seen[-(len(PASTE_START) - 1):]
                    break
                cut = start + len(PASTE_START) - len(self._tail)  # where the marker ends in `text`
                out.append(text[:cut])
                text = text[cut:]
                self._tail = ""
                self.in_paste = True
            else:
                text = self._held + text
                self._held = ""
                end = text.find(PASTE_END)
                if end < 0:
                    keep = _partial_marker_length(text, PASTE_END)
                    out.append(_CONTROL.sub("", text[: len(text) - keep]))
                    self._held = text[len(text) - keep:]
                    break
                out.append(_CONTROL.sub("", text[:end]) + PASTE_END)
                text = text[end + len(PASTE_END):]
                self.in_paste = False
        return "".join(out)


def _partial_marker_length(text: str, marker: str) -> int:
    """How many characters at the end of `text` could begin `marker`."""
    for length in range(min(len(marker) - 1, len(text)), 0, -1):
        if marker.startswith(text[-length:]):
            return length
    return 0


class ForgivingLinuxDriver(LinuxDriver):
    """Textual's Linux driver with an input loop that survives any bytes."""

    def run_input_thread(self) -> None:
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")(errors="replace").decode
        paste_filter = PasteFilter()

        def dispatch(text: str) -> None:
            if REPLACEMENT in text:
                self._app.post_message(UndecodableInput(text.count(REPLACEMENT)))
                text = text.replace(REPLACEMENT, "")
            text = paste_filter(text)
            if text:  # feeding the parser "" would tell it the input has ended
                for event in parser.feed(text):
                    self.process_message(event)

        def read_and_dispatch(ready: list, final: bool = False) -> None:
            for _key, mask in ready:
                if not mask & selectors.EVENT_READ:
                    continue
                raw = os.read(self.fileno, 4096)
                if not raw:
                    break  # stdin was a pipe, and it ended
                dispatch(decode(raw, final=final))
            if not ready:
                # A terminal sends a character's bytes together: one still waiting for the
                # rest after a quiet moment (a lone 0xe9) never will be valid.
                dispatch(decode(b"", final=True))
            for event in parser.tick():
                self.process_message(event)

        try:
            while not self.exit_event.is_set():
                read_and_dispatch(selector.select(0.1))
            selector.unregister(self.fileno)
            read_and_dispatch(selector.select(0.1), final=True)
        finally:
            selector.close()
            try:
                for _event in parser.feed(""):
                    pass
            except Exception:  # the parser's end-of-input complaints no longer matter
                pass
