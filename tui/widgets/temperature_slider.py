"""A slider for the sampling temperature: 0.0 to 2.0 in steps of 0.05.

Textual has no slider, and the slider packages hold whole numbers only, so this is a small
one of our own. Left/right (or a click or drag on the track) change it; it posts Changed.
"""

from rich.text import Text
from textual.binding import Binding
from textual.events import MouseDown, MouseMove, MouseUp
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

LOWEST = 0.0
HIGHEST = 2.0
STEP = 0.05
VALUE_WIDTH = 12  # room kept right of the track for "0.50" or "0.00 greedy"


def snap(value: float) -> float:
    """Clamp to LOWEST..HIGHEST and round to the nearest step (0.15, not 0.15000000000000002)."""
    value = min(HIGHEST, max(LOWEST, value))
    return round(round(value / STEP) * STEP, 2)


class TemperatureSlider(Widget, can_focus=True):
    """A one-line track with a knob and the value: "━━━━━●─────────  0.50"."""

    DEFAULT_CSS = """
    TemperatureSlider {
        height: 1;
        width: 1fr;
        min-width: 20;
    }
    TemperatureSlider:focus { background: $boost; }
    TemperatureSlider > .slider--track { color: $panel-lighten-2; }
    TemperatureSlider > .slider--filled { color: $accent; }
    TemperatureSlider:focus > .slider--filled { color: $accent-lighten-1; text-style: bold; }
    TemperatureSlider > .slider--value { color: $text; text-style: bold; }
    """

    COMPONENT_CLASSES = {"slider--track", "slider--filled", "slider--value"}

    BINDINGS = [
        Binding("left", "nudge(-1)", "Colder", tooltip="Lower the temperature by 0.05"),
        Binding("right", "nudge(1)", "Hotter", tooltip="Raise the temperature by 0.05"),
        Binding("home", "set(0)", "Greedy", show=False),
        Binding("end", "set(2)", "Hottest", show=False),
    ]

    value: reactive[float] = reactive(0.5, init=False)  # Changed is posted for changes only

    class Changed(Message):
        def __init__(self, slider: "TemperatureSlider", value: float) -> None:
            super().__init__()
            self.slider = slider
            self.value = value

        @property
        def control(self) -> "TemperatureSlider":
            return self.slider

    def __init__(self, value: float = 0.5, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.set_reactive(TemperatureSlider.value, snap(value))
        self._dragging = False

    def validate_value(self, value: float) -> float:
        return snap(value)

    def watch_value(self, value: float) -> None:
        self.post_message(self.Changed(self, value))

    def action_nudge(self, steps: int) -> None:
        self.value = self.value + steps * STEP

    def action_set(self, value: float) -> None:
        self.value = value

    # ----- drawing: "━━━━━━━●─────────  0.50" -----

    @property
    def _track_width(self) -> int:
        return max(2, self.content_size.width - VALUE_WIDTH)

    def render(self) -> Text:
        width = self._track_width
        knob = round(self.value / HIGHEST * (width - 1))
        label = f"{self.value:.2f}" + (" greedy" if self.value == 0 else "")
        return Text.assemble(
            ("━" * knob, self.get_component_rich_style("slider--filled")),
            ("●", self.get_component_rich_style("slider--filled")),
            ("─" * (width - knob - 1), self.get_component_rich_style("slider--track")),
            (" " + label.ljust(VALUE_WIDTH - 1), self.get_component_rich_style("slider--value")),
        )

    # ----- the mouse: click or drag along the track -----

    def _value_at(self, x: int) -> float:
        return x / (self._track_width - 1) * HIGHEST

    def on_mouse_down(self, event: MouseDown) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.x >= self._track_width:
            return
        self._dragging = True
        self.capture_mouse()
        self.focus()
        self.value = self._value_at(offset.x)

    def on_mouse_move(self, event: MouseMove) -> None:
        if self._dragging:
            # while dragging the pointer may leave the widget; clamp takes care of that
            self.value = self._value_at(event.get_content_offset_capture(self).x)

    def on_mouse_up(self, event: MouseUp) -> None:
        if self._dragging:
            self._dragging = False
            self.release_mouse()
