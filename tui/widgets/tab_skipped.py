"""A widget that can take focus (a click, a key of its pane) but that tab passes by.

The issue's rule is one tab stop per pane: tab goes pane to pane, and the keys of a pane
move within it. Textual builds tab's focus chain from allow_focus(), and checks a widget's
`focusable` before focusing it, so a widget kept out of the first but not the second can
still be clicked or focused by its pane.
"""


class SkippedByTab:
    """Mix in before a focusable widget class: `class PaneSlider(SkippedByTab, TemperatureSlider)`.

    Not a Widget itself, so the new class keeps its base's CSS type (Textual follows the first
    base that is a widget) and queries for the base still find it."""

    _asked_to_focus = False  # True only while Textual checks whether a focus request may go ahead

    def allow_focus(self) -> bool:
        # in tab's chain only while focused, so tab moves on from here to the next pane
        return self.can_focus and (self.has_focus or self._asked_to_focus)

    @property
    def focusable(self) -> bool:
        self._asked_to_focus = True
        try:
            return super().focusable
        finally:
            self._asked_to_focus = False
