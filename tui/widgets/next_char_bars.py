"""Bars for the ten most likely next characters, at the temperature sampling uses.

Each bar's full width is probability 1, so short bars mean the model is unsure, and the ten
bars never add up to more than the whole. BOS, the token that ends a name, shows as "◆ end".
"""

from rich.text import Text
from textual.widget import Widget

from ...datasets import printable
from ...engine.tokenizer import Tokenizer

TOP = 10
# a bar's length in eighths of a cell: these draw the last, partly filled cell
EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(fraction: float, width: int) -> str:
    """A left-aligned bar `width` cells wide, filled to `fraction`, to 1/8 of a cell."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (EIGHTHS[part] if part else "")
    return text.ljust(width)


class NextCharBars(Widget):
    DEFAULT_CSS = """
    NextCharBars {
        height: auto;
        min-height: 10;  /* TOP lines: new bars never change the height */
    }
    NextCharBars > .bars--label { color: $text; text-style: bold; }
    NextCharBars > .bars--bar { color: $accent; }
    NextCharBars > .bars--probability { color: $text-muted; }
    """

    COMPONENT_CLASSES = {"bars--label", "bars--bar", "bars--probability"}

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        # (label, probability) from most to least likely; what the bars draw
        self.entries: list[tuple[str, float]] = []

    def show(self, probs: list[float], tokenizer: Tokenizer) -> None:
        """Draw the TOP most likely tokens of a next-token distribution, leaving out any it never picks."""
        ranked = [token for token in sorted(range(len(probs)), key=lambda token: -probs[token])[:TOP] if probs[token] > 0]
        self.entries = [(self._label(tokenizer, token), probs[token]) for token in ranked]
        self.refresh()  # min-height is TOP lines, so the size never changes: a repaint, not a layout

    def clear(self) -> None:
        self.entries = []
        self.refresh()

    @staticmethod
    def _label(tokenizer: Tokenizer, token: int) -> str:
        return f"{tokenizer.symbol(token)} end" if token == tokenizer.bos else printable(tokenizer.symbol(token))

    def render(self) -> Text:
        label_style = self.get_component_rich_style("bars--label")
        bar_style = self.get_component_rich_style("bars--bar")
        number_style = self.get_component_rich_style("bars--probability")
        label_width = 6  # fits "◆ end" and a space
        bar_width = max(4, self.content_size.width - label_width - 6)
        lines = Text()
        for index, (label, probability) in enumerate(self.entries):
            if index:
                lines.append("\n")
            lines.append(label.ljust(label_width), label_style)
            lines.append(f"{probability:.3f} ", number_style)
            lines.append(bar(probability, bar_width), bar_style)
        return lines
