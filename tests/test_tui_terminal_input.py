"""What reaches Textual's parser from the terminal, and what a text box accepts."""

from textual.app import App, ComposeResult
from textual import events

from microgpt_tui.tui.terminal_input import PASTE_END, PASTE_START, PasteFilter
from microgpt_tui.tui.widgets.text_box import TextBox, without_control_characters


def test_outside_a_paste_everything_passes_at_once():
    paste = PasteFilter()
    assert paste("\x1b") == "\x1b"  # the Escape key is not held back
    assert paste("q\x1b[A") == "q\x1b[A"


def test_inside_a_paste_control_characters_are_dropped_but_lines_kept():
    paste = PasteFilter()
    text = PASTE_START + "ka\x1b[41mRED\x07\x08\r\n\tzqd" + PASTE_END + "n"
    assert paste(text) == PASTE_START + "ka[41mRED\r\n\tzqd" + PASTE_END + "n"


def test_markers_split_across_reads_are_still_found():
    paste = PasteFilter()
    text = "x" + PASTE_START + "a\x1bb" + PASTE_END + "\x1b"
    pieces = [paste(text[i:i + 3]) for i in range(0, len(text), 3)]
    assert "".join(pieces) == "x" + PASTE_START + "ab" + PASTE_END + "\x1b"
    assert not paste.in_paste


def test_without_control_characters():
    assert without_control_characters("ka\x1b[41m\x07\u2028\x9bx") == "ka[41mx"


class BoxApp(App):
    def compose(self) -> ComposeResult:
        yield TextBox(id="box")


async def test_a_text_box_keeps_only_printable_text_from_a_paste():
    app = BoxApp()
    async with app.run_test() as pilot:
        box = app.query_one(TextBox)
        box.focus()
        box.post_message(events.Paste("ka\x1b[41mRED\x07\x08 z"))
        await pilot.pause()
        assert box.value == "ka[41mRED z"
