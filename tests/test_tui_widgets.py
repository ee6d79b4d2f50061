"""The small widgets the panes are built from: heatmap, temperature slider, next-character bars."""

from rich.color import ColorSystem
from textual.app import App, ComposeResult

from microgpt_tui.engine.tokenizer import Tokenizer
from microgpt_tui.tui.widgets.heatmap import LEVELS, ColourScale, Heatmap
from microgpt_tui.tui.widgets.next_char_bars import NextCharBars, bar
from microgpt_tui.tui.widgets.temperature_slider import VALUE_WIDTH, TemperatureSlider, snap

# ----- the colour scale -----


def test_sequential_scale_runs_dark_to_bright_and_clamps():
    scale = ColourScale.sequential(0.0, 1.0)
    assert scale.level(0.0) == 0
    assert scale.level(1.0) == LEVELS - 1
    assert scale.level(-3.0) == 0 and scale.level(7.0) == LEVELS - 1
    assert scale.colour(1.0).brightness > scale.colour(0.5).brightness > scale.colour(0.0).brightness


def test_diverging_scale_puts_zero_in_a_grey_middle_and_the_hue_tells_the_sign():
    scale = ColourScale.symmetric(0.4)

    def saturation(colour):
        return max(colour.rgb) - min(colour.rgb)

    negative, zero, positive = scale.colour(-0.4), scale.colour(0.0), scale.colour(0.4)
    assert saturation(zero) < 16  # grey
    assert saturation(negative) > 100 and saturation(positive) > 100  # the size shows as strength of colour
    assert negative.b > negative.r and positive.r > positive.b  # blue below zero, orange above


def test_zero_is_neither_black_nor_white_even_in_a_256_colour_terminal():
    """Zero must show on a dark theme's background and on a light one, also after the terminal's
    colours are cut down to the xterm 256 (tmux's default, macOS Terminal)."""
    for scale in (ColourScale.symmetric(0.4), ColourScale.sequential(0.0, 1.0)):
        zero = scale.colour(0.0).rich_color
        for colour in (zero, zero.downgrade(ColorSystem.EIGHT_BIT)):
            red, green, blue = colour.get_truecolor()
            assert 0.3 < (0.299 * red + 0.587 * green + 0.114 * blue) / 255 < 0.8


def test_a_scale_with_no_range_does_not_divide_by_zero():
    assert ColourScale.symmetric(0.0).level(0.0) == LEVELS // 2
    assert ColourScale.sequential(0.0, 0.0).level(0.0) == 0


# ----- the heatmap -----


class HeatmapApp(App):
    AUTO_FOCUS = None  # no cursor until a test moves onto the heatmap

    def __init__(self) -> None:
        super().__init__()
        self.highlighted: list[tuple[int, int, float | None]] = []

    def compose(self) -> ComposeResult:
        yield Heatmap(cell_width=2)

    def on_mount(self) -> None:
        values = [[0.1, None, None], [0.5, 0.5, None], [0.2, 0.3, 0.5]]
        self.query_one(Heatmap).show(values, ["◆", "a", "b"], ["◆", "a", "b"], ColourScale.sequential(0, 1))

    def on_heatmap_cell_highlighted(self, event: Heatmap.CellHighlighted) -> None:
        self.highlighted.append((event.row, event.column, event.value))


async def test_heatmap_draws_labels_and_leaves_none_cells_blank():
    app = HeatmapApp()
    async with app.run_test(size=(30, 8)):
        heatmap = app.query_one(Heatmap)
        assert heatmap.virtual_size.width == 2 + 3 * 2  # "◆ " then three 2-wide cells
        assert heatmap.render_line(0).text.rstrip() == "  ◆ a b"
        first_row = heatmap.render_line(1)
        assert first_row.text.rstrip() == "◆"  # the label; the cells are coloured spaces

        def background(strip, x):
            return next(iter(strip.crop(x, x + 2))).style.bgcolor

        shaded = ColourScale.sequential(0, 1).colour(0.1).rich_color
        assert background(first_row, 2) == shaded
        # the cells above the diagonal are not shaded: they show the widget's own background
        assert background(first_row, 4) == background(first_row, 6) == heatmap.rich_style.bgcolor
        assert background(heatmap.render_line(3), 6) != heatmap.rich_style.bgcolor


async def test_heatmap_cursor_moves_with_keys_and_reports_the_cell():
    app = HeatmapApp()
    async with app.run_test(size=(30, 8)) as pilot:
        app.query_one(Heatmap).focus()
        await pilot.press("down", "down", "right")
        assert app.highlighted[-1] == (2, 1, 0.3)
        await pilot.press("right", "right", "right", "down")  # stops at the edges
        assert app.highlighted[-1] == (2, 2, 0.5)
        await pilot.press("up", "up")
        assert app.highlighted[-1] == (0, 2, None)  # a blank cell reports None


async def test_heatmap_hover_reports_the_cell_under_the_mouse():
    app = HeatmapApp()
    async with app.run_test(size=(30, 8)) as pilot:
        # x: 2 label columns, then 2 per cell; y: 1 header row
        await pilot.hover(Heatmap, offset=(2 + 2 * 1, 1 + 1))
        assert app.highlighted[-1] == (1, 1, 0.5)
        await pilot.hover(Heatmap, offset=(0, 1))  # on a label: nothing changes
        assert app.highlighted[-1] == (1, 1, 0.5)


async def test_heatmap_cursor_marks_the_labels_and_leaves_the_cell_its_colour():
    app = HeatmapApp()
    async with app.run_test(size=(30, 8)) as pilot:
        heatmap = app.query_one(Heatmap)
        heatmap.focus()
        await pilot.press("down", "right")  # row 'a', column 1: 0.5
        line = heatmap.render_line(2)
        assert line.text.rstrip() == "a▸"  # the label and a mark; the cells stay coloured spaces
        assert next(iter(line.crop(4, 5))).style.bgcolor == ColourScale.sequential(0, 1).colour(0.5).rich_color
        assert heatmap.render_line(0).text.rstrip() == "  ◆ ▾ b"  # a mark over the column


async def test_half_blocks_draw_two_rows_per_line_upper_in_the_foreground():
    app = HeatmapApp()
    async with app.run_test(size=(30, 8)) as pilot:
        heatmap = Heatmap(cell_width=1, half_blocks=True)
        await app.mount(heatmap)
        values = [[-1.0, 0.0], [0.5, None], [1.0, 0.0]]
        scale = ColourScale.symmetric(1.0)
        heatmap.show(values, ["x", "y", "z"], ["0", "1"], scale)
        await pilot.pause()
        assert heatmap.line_count == 2 and heatmap.virtual_size.height == 3
        first, second = heatmap.render_line(1), heatmap.render_line(2)
        assert first.text.rstrip() == "x ▀▀" and second.text.rstrip() == "z ▀▀"

        def cell(strip, x):
            return next(iter(strip.crop(x, x + 1))).style

        assert cell(first, 2).color == scale.colour(-1.0).rich_color  # row x above
        assert cell(first, 2).bgcolor == scale.colour(0.5).rich_color  # row y below
        assert cell(first, 3).bgcolor == heatmap.rich_style.bgcolor  # y has no value there
        assert cell(second, 3).color == scale.colour(0.0).rich_color
        assert cell(second, 3).bgcolor == heatmap.rich_style.bgcolor  # no fourth row
        heatmap.focus()
        await pilot.press("down")  # row y: the lower half of the first line
        assert app.highlighted[-1] == (1, 0, 0.5)
        assert heatmap.render_line(1).text.rstrip() == "y▸▀▀"


async def test_heatmap_skips_column_labels_that_would_run_together():
    app = HeatmapApp()
    async with app.run_test(size=(60, 8)) as pilot:
        heatmap = app.query_one(Heatmap)
        heatmap.show([[0.0] * 14], ["0"], [str(c) for c in range(14)], ColourScale.symmetric(1))
        await pilot.pause()
        assert heatmap.render_line(0).text.rstrip() == "  0 1 2 3 4 5 6 7 8 9 10  12"


# ----- the temperature slider -----


def test_snap_rounds_to_steps_of_0_05_and_clamps():
    assert snap(0.15000000000000002) == 0.15
    assert snap(0.47) == 0.45
    assert snap(-1) == 0.0
    assert snap(9) == 2.0


class SliderApp(App):
    def __init__(self) -> None:
        super().__init__()
        self.changes: list[float] = []

    def compose(self) -> ComposeResult:
        yield TemperatureSlider(0.5)

    def on_temperature_slider_changed(self, event: TemperatureSlider.Changed) -> None:
        self.changes.append(event.value)


async def test_slider_keys_change_the_value_in_steps_and_post_changed():
    app = SliderApp()
    async with app.run_test(size=(50, 3)) as pilot:
        slider = app.query_one(TemperatureSlider)
        slider.focus()
        await pilot.press("right", "right", "left", "left", "left")
        assert slider.value == 0.45
        assert app.changes == [0.55, 0.6, 0.55, 0.5, 0.45]
        await pilot.press("home")
        assert slider.value == 0.0
        await pilot.press("left")
        assert slider.value == 0.0  # already at the bottom
        await pilot.press("end")
        assert slider.value == 2.0


async def test_slider_click_and_drag_set_the_value_along_the_track():
    app = SliderApp()
    async with app.run_test(size=(50, 3)) as pilot:
        slider = app.query_one(TemperatureSlider)
        track = slider.content_size.width - VALUE_WIDTH
        await pilot.click(TemperatureSlider, offset=(0, 0))
        assert slider.value == 0.0
        assert slider.has_focus
        await pilot.click(TemperatureSlider, offset=(track - 1, 0))
        assert slider.value == 2.0
        await pilot.mouse_down(TemperatureSlider, offset=(0, 0))
        middle = (track - 1) // 2
        await pilot.hover(TemperatureSlider, offset=(middle, 0))
        await pilot.mouse_up(TemperatureSlider, offset=(middle, 0))
        assert slider.value == snap(middle / (track - 1) * 2.0)
        assert 0.9 <= slider.value <= 1.0


async def test_slider_shows_its_value_with_two_decimals_and_greedy_at_zero():
    app = SliderApp()
    async with app.run_test(size=(50, 3)):
        slider = app.query_one(TemperatureSlider)
        assert "0.50" in slider.render().plain
        slider.value = 0
        assert "0.00 greedy" in slider.render().plain


# ----- next-character bars -----


def test_bar_fills_to_the_eighth_of_a_cell():
    assert bar(1.0, 4) == "████"
    assert bar(0.0, 4) == "    "
    assert bar(0.5, 3) == "█▌ "
    assert bar(2.0, 2) == "██"  # never wider than asked


class BarsApp(App):
    def compose(self) -> ComposeResult:
        yield NextCharBars()


async def test_bars_show_the_ten_likeliest_with_bos_as_end():
    tokenizer = Tokenizer("abcdefghijkl")  # 12 characters + BOS
    probs = [0.01] * 12 + [0.5]
    probs[3] = 0.2  # 'd'
    app = BarsApp()
    async with app.run_test(size=(40, 12)):
        bars = app.query_one(NextCharBars)
        bars.show(probs, tokenizer)
        assert len(bars.entries) == 10
        assert bars.entries[0] == ("◆ end", 0.5)
        assert bars.entries[1] == ("d", 0.2)
        assert sum(p for _, p in bars.entries) <= 1.0
        lines = bars.render().plain.splitlines()
        assert lines[0].startswith("◆ end 0.500 ████")
