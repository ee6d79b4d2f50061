"""Save an SVG screenshot of the app mid-training, made by the app itself (for the README).

    python benchmarks/screenshot.py [--data NAMES_TXT] [--at-step 300] [--prefix ka] [--size 120x40]
                                    [--keys "x right right"] [--out docs/screenshot.svg]

Runs the real app (training in its child process) at --size without a terminal, lets it
train until --at-step, asks the sample pane for completions of --prefix (none if empty),
presses --keys (Textual key names, e.g. "x" for the X-ray, "e" for the embedding map), and
saves what the screen shows while training goes on. The steps/s and the exact step differ
from run to run; everything else follows the seed.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from microgpt_tui import datasets
from microgpt_tui.engine.config import ModelConfig
from microgpt_tui.tui.app import MicroGPTApp
from microgpt_tui.tui.training.settings import RunSettings, RunSpec

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_NAMES = ROOT.parent / "shared" / "datasets" / "names.txt"


async def shoot(app: MicroGPTApp, at_step: int, prefix: str, out: Path, size: tuple[int, int], keys: list[str]) -> None:
    async with app.run_test(size=size) as pilot:
        deadline = time.monotonic() + 120
        while app.progress.step < at_step:
            assert time.monotonic() < deadline, "training never reached the step"
            await pilot.pause(0.01)
        if prefix:
            box = app.query_one("#sample-prefix")
            box.focus()
            await pilot.press(*prefix, "enter", "escape")
        for key in keys:
            await pilot.press(key)
            await pilot.pause(0.3)
        await pilot.pause(1.2)  # a fresh snapshot reaches the panes
        out.parent.mkdir(parents=True, exist_ok=True)
        app.save_screenshot(filename=out.name, path=str(out.parent))
        await pilot.press("q")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(DEFAULT_NAMES))
    parser.add_argument("--at-step", type=int, default=300)
    parser.add_argument("--prefix", default="ka")
    parser.add_argument("--size", default="120x40", help="the screen, WIDTHxHEIGHT (default: 120x40)")
    parser.add_argument("--keys", default="", help="keys to press before the screenshot, separated by spaces")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshot.svg"))
    args = parser.parse_args()
    width, _, height = args.size.partition("x")
    dataset = datasets.resolve_dataset(args.data, None)
    spec = RunSpec(dataset, RunSettings(ModelConfig(len(dataset.chars) + 1)))
    app = MicroGPTApp(spec, dataset.description)
    asyncio.run(shoot(app, args.at_step, args.prefix, Path(args.out), (int(width), int(height)), args.keys.split()))
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
