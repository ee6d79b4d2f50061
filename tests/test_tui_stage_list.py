"""StageList: rows from segments, a Strip kept per unchanged row, keys and clicks, no layout on update."""

from rich.segment import Segment
from rich.style import Style
from textual import on
from textual.app import App, ComposeResult
from textual.geometry import Size

from microgpt_tui.tui.widgets.stage_list import StageList

RED, BLUE = Style(bgcolor="red"), Style(bgcolor="blue")


def rows(count: int, tag: str = "") -> list[list]:
    return [[Segment(f"row {i}{tag} ", Style(bold=True)), ("  ", RED), (" note", None)] for i in range(count)]


class ListApp(App):
    CSS = "StageList { height: 8; }"  # 6 rows inside the border

    def __init__(self, count: int = 4) -> None:
        super().__init__()
        self.count = count
        self.heard: list[tuple[str, int]] = []

    def compose(self) -> ComposeResult:
        yield StageList(id="stages")

    def on_mount(self) -> None:
        stages = self.query_one(StageList)
        stages.set_rows(rows(self.count))
        stages.focus()

    @on(StageList.Highlighted, "#stages")
    def _highlighted(self, event: StageList.Highlighted) -> None:
        self.heard.append(("highlighted", event.index))

    @on(StageList.Selected, "#stages")
    def _selected(self, event: StageList.Selected) -> None:
        self.heard.append(("selected", event.index))


async def test_a_changed_row_is_redrawn_and_an_unchanged_one_keeps_its_strip():
    app = ListApp()
    async with app.run_test(size=(40, 12)) as pilot:
        stages = app.query_one(StageList)
        kept, changed = stages.strip_of(0), stages.strip_of(2)
        refreshed = []
        real_refresh_line = stages.refresh_line
        stages.refresh_line = lambda y: (refreshed.append(y), real_refresh_line(y))
        new = rows(4)
        new[2] = [Segment("row 2 is new", Style(italic=True)), ("  ", BLUE)]
        stages.set_rows(new)
        assert refreshed == [2]  # only the changed row asks to be repainted
        assert stages.strip_of(0) is kept
        assert stages.strip_of(2) is not changed
        assert stages.row_text(2) == "row 2 is new  "
        await pilot.pause()
        assert stages.render_line(2).text.startswith("row 2 is new  ")
        assert stages.render_line(0).text.startswith("row 0    note")
        # (text, style) pairs and Segments are the same row: nothing changes, nothing repaints
        refreshed.clear()
        stages.set_rows([[(part[0], part[1]) for part in row] for row in new])
        assert refreshed == []


async def test_set_rows_with_the_same_count_keeps_the_highlight_and_asks_for_no_layout():
    app = ListApp()
    async with app.run_test(size=(40, 12)) as pilot:
        stages = app.query_one(StageList)
        await pilot.press("down", "down")
        assert stages.highlighted == 2
        asked = []
        real_refresh = stages.refresh
        stages.refresh = lambda *regions, **options: (asked.append(options), real_refresh(*regions, **options))
        size_before = stages.virtual_size
        stages.set_rows(rows(4, tag="b"))
        assert asked and not any(options.get("layout") for options in asked)
        assert stages.virtual_size == size_before
        assert stages.highlighted == 2
        # another count starts over at the top, and the scrolling height follows
        stages.set_rows(rows(9))
        assert stages.highlighted == 0
        assert stages.virtual_size == Size(0, 9)


async def test_keys_move_the_highlight_and_enter_selects():
    app = ListApp()
    async with app.run_test(size=(40, 12)) as pilot:
        stages = app.query_one(StageList)
        await pilot.pause()
        app.heard.clear()
        await pilot.press("down", "down", "up", "end", "down", "home", "up", "enter")
        await pilot.pause()
        # "down" on the last row and "up" on the first stay put and say nothing
        assert app.heard == [("highlighted", 1), ("highlighted", 2), ("highlighted", 1), ("highlighted", 3),
                             ("highlighted", 0), ("selected", 0)]
        assert stages.highlighted == 0


async def test_a_click_selects_the_row_under_the_pointer():
    app = ListApp()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        app.heard.clear()
        # the border takes one line and one column, the padding one more column
        await pilot.click("#stages", offset=(4, 1 + 2))
        await pilot.pause()
        assert app.heard == [("highlighted", 2), ("selected", 2)]


async def test_the_highlighted_row_is_drawn_in_the_cursor_style_and_keeps_its_colours():
    app = ListApp()
    async with app.run_test(size=(40, 12)) as pilot:
        stages = app.query_one(StageList)
        await pilot.press("down")
        cursor = stages.get_visual_style("stage-list--row", "stage-list--cursor").rich_style
        plain = stages.get_visual_style("stage-list--row").rich_style
        assert cursor.bgcolor != plain.bgcolor
        highlighted, other = list(stages.render_line(1)), list(stages.render_line(0))
        assert highlighted[0].style.bgcolor == cursor.bgcolor and other[0].style.bgcolor == plain.bgcolor
        assert highlighted[1].style.bgcolor == RED.bgcolor  # a cell's own colour shows through the cursor
        assert highlighted[-1].style.bgcolor == cursor.bgcolor  # the cursor runs to the edge
        assert stages.render_line(1).cell_length == stages.scrollable_content_region.width


async def test_rows_beyond_the_height_scroll_into_view():
    app = ListApp(count=20)
    async with app.run_test(size=(40, 12)) as pilot:
        stages = app.query_one(StageList)
        await pilot.press("end")
        await pilot.pause()
        assert stages.highlighted == 19
        assert stages.scroll_offset.y == 20 - 6
        assert stages.render_line(5).text.startswith("row 19 ")
        await pilot.press("home")
        await pilot.pause()
        assert stages.scroll_offset.y == 0
        assert stages.render_line(0).text.startswith("row 0 ")
