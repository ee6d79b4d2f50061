"""PlainTable: the parameters pane's table keeps its drawings, yet shows every change of value, focus and theme."""

from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import DataTable
from rich.text import Text

from microgpt_tui.tui.widgets.plain_table import PlainTable


class TableApp(App):
    def compose(self) -> ComposeResult:
        table = PlainTable(cursor_type="row", zebra_stripes=True, fixed_columns=1)
        table.add_column("matrix", key="matrix")
        table.add_column("|grad|", key="grad")
        for name in ("wte", "wpe", "lm_head"):
            table.add_row(name, Text("1.000", justify="right"), key=name)
        yield table


def line(table: PlainTable, y: int):
    return table.render_lines(Region(0, y, table.size.width, 1))[0]


async def test_a_changed_cell_is_drawn_again_and_the_others_are_kept():
    app = TableApp()
    async with app.run_test(size=(40, 10)) as pilot:
        table = app.query_one(PlainTable)
        await pilot.pause()
        assert "1.000" in line(table, 2).text
        table.update_cell("wpe", "grad", Text("0.125", justify="right"))
        await pilot.pause()
        assert "0.125" in line(table, 2).text and "1.000" not in line(table, 2).text
        assert "1.000" in line(table, 1).text and "1.000" in line(table, 3).text


class BothApp(App):
    """The same rows in a DataTable and a PlainTable."""

    def compose(self) -> ComposeResult:
        for table in (DataTable(cursor_type="row", zebra_stripes=True, fixed_columns=1, id="plain-data"),
                      PlainTable(cursor_type="row", zebra_stripes=True, fixed_columns=1, id="ours")):
            table.add_column("matrix", key="matrix")
            table.add_column("|grad|", key="grad")
            for name in ("wte", "wpe", "lm_head"):
                table.add_row(name, Text("1.000", justify="right"), key=name)
            yield table


def looks(table) -> list:
    """Each line's text and colours, as a reader sees them."""
    return [[(s.text, s.style.color, s.style.bgcolor, s.style.bold) for s in line(table, y) if s.text]
            for y in range(4)]


async def test_it_looks_like_a_datatable_focused_or_not_in_any_theme():
    app = BothApp()
    async with app.run_test(size=(40, 12)) as pilot:
        theirs, ours = app.query_one("#plain-data", DataTable), app.query_one("#ours", PlainTable)
        await pilot.pause()
        seen = []
        for theme in ("textual-dark", "gruvbox"):
            app.theme = theme
            for focus in (False, True):
                for table in (theirs, ours):
                    table.update_cell("wpe", "grad", Text(f"{theme[:4]} {focus}", justify="right"))
                app.set_focus(theirs if focus else None)
                await pilot.pause(0.1)
                expected = looks(theirs)
                app.set_focus(ours if focus else None)
                await pilot.pause(0.1)
                assert looks(ours) == expected, (theme, focus)
                seen.append(repr([[(c, b, bold) for _, c, b, bold in row] for row in looks(ours)]))
        assert len(set(seen)) >= 3  # focus and theme change its colours: nothing stale was kept


def colours(table) -> list:
    """Every segment of the first six lines, blanks too: text, colour and background."""
    return [[(s.text, s.style.color, s.style.bgcolor) for s in line(table, y)] for y in range(6)]


async def test_colours_worked_out_once_a_frame_follow_a_new_background_at_the_next_frame():
    """The table's style and background are kept only while one frame is drawn: a background
    changed between frames shows in the next one, in the rows and in the blank lines below them."""
    app = BothApp()
    async with app.run_test(size=(40, 12)) as pilot:
        ours = app.query_one("#ours", PlainTable)
        await pilot.pause()
        before = colours(ours)
        for colour in ("#ff0000", "#0000ff"):
            ours.styles.background = colour
            await pilot.pause()
            assert ours.rich_style.bgcolor.triplet.hex == colour  # outside a frame too
            # the blank line below the three rows is the table's own background
            assert {bgcolor.triplet.hex for _, _, bgcolor in colours(ours)[5]} == {colour}
        assert colours(ours) != before


async def test_cells_changed_together_are_all_drawn_after_their_one_repaint(monkeypatch):
    app = TableApp()
    async with app.run_test(size=(40, 10)) as pilot:
        table = app.query_one(PlainTable)
        await pilot.pause()
        assert [line(table, y).text.split()[1] for y in (1, 2, 3)] == ["1.000"] * 3
        repaints = []
        original = Widget.refresh

        def counting(widget, *regions, **kwargs):
            if widget is table:
                repaints.append(regions)
            return original(widget, *regions, **kwargs)

        monkeypatch.setattr(Widget, "refresh", counting)
        table.update_cells([("wte", "grad", Text("0.250", justify="right")),
                            ("lm_head", "grad", Text("0.500", justify="right"))])
        assert len(repaints) == 1
        monkeypatch.undo()
        await pilot.pause()
        assert [line(table, y).text.split()[1] for y in (1, 2, 3)] == ["0.250", "1.000", "0.500"]
