"""A one-line text box that only ever holds printable text.

A paste can carry anything (escape sequences, bells, backspaces, tabs). In a box they
would be invisible and then reach the model or a file name; here they are dropped as
they come in, by typing or by pasting.
"""

import re

from textual.widgets import Input

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def without_control_characters(text: str) -> str:
    return _CONTROL.sub("", text)


class TextBox(Input):
    def insert_text_at_cursor(self, text: str) -> None:
        super().insert_text_at_cursor(without_control_characters(text))

    def replace(self, text: str, start: int, end: int) -> None:
        super().replace(without_control_characters(text), start, end)
