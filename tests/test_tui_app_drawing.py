"""How a new snapshot reaches the panes: one pane per screen update, newest first to last.

A key pressed while the panes redraw waits for one pane, not four; a snapshot that a newer
one overtakes is never drawn in the panes it had not reached yet.
"""

import gc
from dataclasses import replace

from microgpt_tui.tui.panes.attention_pane import AttentionPane
from microgpt_tui.tui.panes.loss_pane import LossPane
from microgpt_tui.tui.panes.parameters_pane import ParametersPane
from microgpt_tui.tui.panes.sample_pane import SamplePane
from microgpt_tui.tui.training import collector
from test_tui_app import started, tiny_app, wait_for

PANES = (LossPane, AttentionPane, ParametersPane, SamplePane)


def record_draws(app) -> list[tuple[str, int]]:
    """Each pane's show_snapshot calls from now on, as (pane, step), in order."""
    drawn: list[tuple[str, int]] = []
    for kind in PANES:
        pane = app.query_one(kind)
        original = pane.show_snapshot

        def show(snapshot, original=original, name=kind.__name__):
            drawn.append((name, snapshot.step))
            original(snapshot)
        pane.show_snapshot = show
    return drawn


async def test_each_pane_draws_the_new_snapshot_in_its_own_screen_update():
    app = tiny_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await pilot.pause(0.2)
        screen_updates = [0]
        update_screen = app.screen._compositor_refresh

        def counted():
            screen_updates[0] += 1
            update_screen()
        app.screen._compositor_refresh = counted
        drawn = record_draws(app)
        updates_at_draw = []
        for kind in PANES:  # note the screen update count as each pane draws
            pane = app.query_one(kind)
            recorded = pane.show_snapshot
            pane.show_snapshot = lambda snapshot, recorded=recorded: (updates_at_draw.append(screen_updates[0]),
                                                                        recorded(snapshot))
        await pilot.press("n")  # one step: a snapshot with new weights
        await wait_for(pilot, lambda: len(drawn) == 4)
        assert [name for name, _ in drawn] == [kind.__name__ for kind in PANES]
        assert all(a < b for a, b in zip(updates_at_draw, updates_at_draw[1:])), updates_at_draw


async def test_a_snapshot_overtaken_by_a_newer_one_stops_its_round():
    app = tiny_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: app.latest_snapshot.step == 1)
        first = app.latest_snapshot
        await pilot.pause(0.2)
        drawn = record_draws(app)
        older = replace(first, step=0)
        app._snapshot_taken(older)
        app._snapshot_taken(first)  # before the older one's round could reach the second pane
        await wait_for(pilot, lambda: len([d for d in drawn if d[1] == 1]) == 4)
        await pilot.pause(0.2)
        assert [name for name, step in drawn if step == 0] in ([], ["LossPane"])
        assert [name for name, step in drawn if step == 1] == [kind.__name__ for kind in PANES]


def test_the_young_generation_is_collected_rarely():
    saved = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        collector.collect_garbage_rarely()
        assert gc.get_threshold() == (collector.YOUNG_THRESHOLD, 10, 10)
    finally:
        gc.set_threshold(*saved)
