"""The step strip: one training step, told character by character.

    step 17 · 'kayle' · loss 2.913                              latest
     k    a    y    l    e    ◆
    31%  12%  <1%  44%  60%  20%
    'y' <1% · surprise 5.21 · top 'a' 31% 'e' 12% 'i' 8%

A step trains on one name. At each position the model gave the character that really
came next some probability p, before the step changed any weight; −ln p is that
position's surprise, and the step's loss is the mean surprise. Each character is
coloured by its surprise: green was easy, red was no better than a blind guess among
the whole vocabulary. ←/→ (or a click) picks a character and the last line tells its
p, its surprise and the model's three likeliest guesses at that position.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.color import Gradient
from textual.events import Click
from textual.widget import Widget

from ...datasets import printable
from ...engine.tokenizer import BOS_SYMBOL

CELL = 4  # columns per position: "<1%" or "100%"
GAP = 1
LEVELS = 16
# surprise 0 (sure and right) → green, ln V (a blind guess) and beyond → red
SURPRISE_RAMP = Gradient.from_colors("#1b7a3a", "#8a9a1c", "#c77d16", "#b3261e", quality=LEVELS).colors
CELL_STYLES = [Style(bgcolor=c.rich_color, color=c.get_contrast_text(1.0).rich_color) for c in SURPRISE_RAMP]


@dataclass(frozen=True)
class StepView:
    """One step as the strip shows it; what the run did not keep is None."""

    step: int
    loss: float
    doc: str | None  # the name it trained on
    p: tuple[float, ...] = ()  # the probability the model gave each predicted token
    top: tuple | None = None  # at each position, the likeliest (token, p) pairs
    latest: bool = True  # the step the other panes show, not one picked from the run's past
    missing: str = ""  # why the name or the p's are unknown


def percent(p: float) -> str:
    """p as a whole percentage in at most four columns: "<1%" below 1%, never a misleading "0%"."""
    return "<1%" if p < 0.01 else f"{p:.0%}"


class StepStrip(Widget, can_focus=True):
    """The step's name, loss and characters; ←/→ picks a character to describe."""

    DEFAULT_CSS = """
    StepStrip {
        height: 4;
    }
    """

    BINDINGS = [
        Binding("left", "pick(-1)", "Previous character", show=False),
        Binding("right", "pick(1)", "Next character", show=False),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.view: StepView | None = None
        self.symbols: list[str] | None = None  # token id → what to draw; None until the model is known
        self.vocab_size = 27  # surprise ln(vocab_size), a blind guess, is the red end of the colours
        self.position: int | None = None  # the picked position; None: the most surprising one
        self.empty_note = "no step taken yet: press n to take one"

    # ----- what the loss pane calls -----

    def show(self, view: StepView | None, symbols: list[str] | None = None) -> None:
        if symbols is not None:
            self.symbols = symbols
        self.view = view
        self.refresh()

    @property
    def picked(self) -> int | None:
        """The position described on the last line, or None if the step has no p's."""
        p = self.view.p if self.view else ()
        if not p:
            return None
        if self.position is None:
            return min(range(len(p)), key=p.__getitem__)  # the hardest character
        return min(self.position, len(p) - 1)

    def targets(self) -> list[str]:
        """What was predicted at each position: the name's characters, then BOS."""
        view = self.view
        chars = [printable(ch) for ch in view.doc] + [BOS_SYMBOL]
        return chars[: len(view.p)]

    # ----- choosing a character -----

    def action_pick(self, delta: int) -> None:
        picked = self.picked
        if picked is None:
            return
        self.position = max(0, min(len(self.view.p) - 1, picked + delta))
        self.refresh()

    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y not in (1, 2) or self.picked is None:
            return
        first = self._first_shown()
        position = first + offset.x // (CELL + GAP)
        if position < len(self.view.p):
            self.position = position
            self.refresh()

    # ----- drawing -----

    def _per_line(self) -> int:
        return max(1, (self.content_size.width + GAP) // (CELL + GAP))

    def _first_shown(self) -> int:
        """The first position drawn: a name too long for the width scrolls to keep the pick in view."""
        count, fits = len(self.view.p), self._per_line()
        if count <= fits:
            return 0
        return max(0, min(count - fits, self.picked - fits // 2))

    def render(self) -> Text:
        view = self.view
        if view is None:
            return Text(self.empty_note, style="dim")
        lines = [self._header(view)]
        if view.doc is None or not view.p:
            lines.append(Text(view.missing or "this step's characters were not kept", style="dim"))
            return Text("\n").join(lines)
        lines += self._cells(view)
        lines.append(self._detail(view))
        return Text("\n").join(lines)

    def _header(self, view: StepView) -> Text:
        name = f" · {printable(view.doc)!r}" if view.doc is not None else ""
        header = Text.assemble("step ", (f"{view.step}", "bold"), name, " · loss ", (f"{view.loss:.3f}", "bold"))
        hint = "latest" if view.latest else "picked (end: latest)"
        room = self.content_size.width - header.cell_len - 2
        if room >= len(hint):
            header.append(" " * (room - len(hint) + 2) + hint, style="dim")
        return header

    def _cells(self, view: StepView) -> list[Text]:
        scale = math.log(self.vocab_size)
        picked, first = self.picked, self._first_shown()
        shown = range(first, min(len(view.p), first + self._per_line()))
        chars, probabilities = Text(), Text()
        for i in shown:
            surprise = -math.log(view.p[i])
            style = CELL_STYLES[min(LEVELS - 1, round(surprise / scale * (LEVELS - 1)))]
            if i == picked:
                style += Style(bold=True, underline=True)
            char = self.targets()[i]
            chars.append(_centred(char, CELL), style)
            probabilities.append(_centred(percent(view.p[i]), CELL), style)
            if i != shown[-1]:
                chars.append(" " * GAP)
                probabilities.append(" " * GAP)
        # a name too long for the width: … where positions are out of view
        if first > 0:
            chars = Text("…") + chars[1:]
        if shown[-1] < len(view.p) - 1:
            chars.append("…")
        return [chars, probabilities]

    def _detail(self, view: StepView) -> Text:
        i = self.picked
        p = view.p[i]
        detail = Text.assemble(
            (repr(self.targets()[i]), "bold"), f" {percent(p)}",
            ("  surprise ", "dim"), (f"{-math.log(p):.2f}", "bold"),
        )
        if view.top is None:
            detail.append("  top guesses not kept", style="dim")  # kept for the latest steps only
        elif self.symbols:  # known once the model's first snapshot has come
            detail.append("  top", style="dim")
            for token, q in view.top[i]:
                detail.append(f" {printable(self.symbols[token])!r} {percent(q)}")
        detail.truncate(max(1, self.content_size.width), overflow="ellipsis")
        return detail


def _centred(text: str, width: int) -> str:
    room = max(0, width - cell_len(text))
    return " " * (room // 2) + text + " " * (room - room // 2)
