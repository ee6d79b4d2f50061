"""How long each pane takes to show a new snapshot, and whether doing so costs a full layout.

    python benchmarks/bench_panes.py [--data NAMES_TXT] [--snapshots 50] [--sizes 120x40,200x60]

Trains the default model for --snapshots steps on --data, keeping a snapshot after every
step, then opens the real app (paused, headless) at each size and hands the snapshots to
one pane at a time. A redraw is the work the event loop does for it: the pane's
show_snapshot() plus rendering the lines of every widget in it that the redraw dirtied.
The table gives the median and p95 of those times, and two checks that nothing forced a
layout of the screen: how many widgets in the pane asked for a layout, and how many
widgets in it changed size, over all the snapshots. Target: under 10 ms at the median on
our slowest machines, which are 2-3x slower than the fastest.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from textual.geometry import Region
from textual.widget import Widget

from microgpt_tui import datasets
from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.trainer import Trainer
from microgpt_tui.tui.app import MicroGPTApp
from microgpt_tui.tui.training.bridge import InProcessTraining
from microgpt_tui.tui.training.settings import RunSettings, RunSpec
from microgpt_tui.tui.training.snapshot import snapshot_of

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_NAMES = ROOT.parent / "shared" / "datasets" / "names.txt"
PANES = ("loss", "attention", "parameters", "sample")


def train_snapshots(dataset, count: int) -> list:
    """A snapshot after each of the first `count` steps of the default run."""
    config = ModelConfig(len(dataset.chars) + 1)
    trainer = Trainer(list(dataset.docs), config, TrainConfig(seed=42))
    snapshots = []
    for _ in range(count):
        trainer.step()
        snapshots.append(snapshot_of(trainer))
    return snapshots


class LayoutCounter:
    """Counts refresh(layout=True) calls made by widgets inside one pane."""

    def __init__(self) -> None:
        self.pane: Widget | None = None
        self.count = 0
        self._original = Widget.refresh
        counter = self

        def refresh(widget, *regions, repaint=True, layout=False, recompose=False):
            if (layout or recompose) and counter.pane is not None and counter.pane in widget.ancestors_with_self:
                counter.count += 1
            return counter._original(widget, *regions, repaint=repaint, layout=layout, recompose=recompose)

        Widget.refresh = refresh

    def restore(self) -> None:
        Widget.refresh = self._original


def render_dirty(pane: Widget) -> None:
    """Render the lines of every shown widget in the pane, as the compositor would after a refresh."""
    for widget in pane.walk_children(with_self=True):
        if widget.display and widget.size.area and widget._repaint_required:
            widget.render_lines(Region(0, 0, *widget.size))


def sizes_of(pane: Widget) -> dict:
    return {id(widget): widget.size for widget in pane.walk_children(with_self=True) if widget.display}


async def bench_size(dataset, snapshots: list, size: tuple[int, int]) -> dict:
    """{pane: (times in ms, layout requests, widgets resized)} at one terminal size."""
    spec = RunSpec(dataset, RunSettings(ModelConfig(len(dataset.chars) + 1)), start_paused=True)
    app = MicroGPTApp(spec, dataset.description, connection=InProcessTraining(spec, step_every=3600))
    results = {}
    async with app.run_test(size=size) as pilot:
        deadline = time.monotonic() + 60
        while app.latest_snapshot is None:
            assert time.monotonic() < deadline, "the app never got its first snapshot"
            await pilot.pause(0.02)
        await pilot.pause(0.2)
        app._show_snapshot = lambda snapshot: None  # only the benchmark hands the panes snapshots
        for name in PANES:
            pane = app.query_one(f"#{name}")
            # one snapshot first, so the pane has built its widgets and settled its sizes
            pane.show_snapshot(snapshots[0])
            await pilot.pause(0.1)
            before = sizes_of(pane)
            counter = LayoutCounter()
            counter.pane = pane
            times = []
            resized = 0
            try:
                for snapshot in snapshots[1:]:
                    start = time.perf_counter()
                    pane.show_snapshot(snapshot)
                    render_dirty(pane)
                    times.append((time.perf_counter() - start) * 1000)
                    await pilot.pause()  # let Textual lay out and paint, as it would between snapshots
                    after = sizes_of(pane)
                    resized += sum(1 for key, size_now in after.items() if before.get(key) != size_now)
                    before = after
            finally:
                counter.restore()
            results[name] = (times, counter.count, resized)
    return results


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def parse_size(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    return int(width), int(height)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(DEFAULT_NAMES), help="the names file to train on")
    parser.add_argument("--snapshots", type=int, default=50, help="snapshots per pane (one per training step)")
    parser.add_argument("--sizes", default="120x40,200x60", help="terminal sizes, comma-separated")
    args = parser.parse_args()
    try:
        sizes = [parse_size(text) for text in args.sizes.split(",")]
    except ValueError:
        print(f"bench_panes: --sizes must be like 120x40,200x60, got {args.sizes!r}", file=sys.stderr)
        sys.exit(2)
    if args.snapshots < 2:
        print(f"bench_panes: --snapshots must be at least 2, got {args.snapshots}", file=sys.stderr)
        sys.exit(2)
    try:
        dataset = datasets.resolve_dataset(args.data, None)
    except datasets.DatasetError as error:
        print(f"bench_panes: {error}", file=sys.stderr)
        sys.exit(2)
    snapshots = train_snapshots(dataset, args.snapshots + 1)
    print(f"{'size':>8} {'pane':<11} {'median ms':>9} {'p95 ms':>7} {'layouts':>7} {'resized':>7}")
    for size in sizes:
        results = asyncio.run(bench_size(dataset, snapshots, size))
        for name, (times, layouts, resized) in results.items():
            label = f"{size[0]}x{size[1]}"
            print(f"{label:>8} {name:<11} {statistics.median(times):9.2f} {p95(times):7.2f} {layouts:7d} {resized:7d}")


if __name__ == "__main__":
    main()
