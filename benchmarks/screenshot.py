"""Save an SVG screenshot of the app mid-training, made by the app itself (for the README).

    python benchmarks/screenshot.py [--data NAMES_TXT] [--at-step 300] [--prefix ka] [--out docs/screenshot.svg]

Runs the real app (training in its child process) at 120x40 without a terminal, lets it
train until --at-step, asks the sample pane for completions of --prefix, and saves what
the screen shows while training goes on. The steps/s and the exact step differ from run
to run; everything else follows the seed.
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


async def shoot(app: MicroGPTApp, at_step: int, prefix: str, out: Path) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        deadline = time.monotonic() + 120
        while app.progress.step < at_step:
            assert time.monotonic() < deadline, "training never reached the step"
            await pilot.pause(0.01)
        box = app.query_one("#sample-prefix")
        box.focus()
        await pilot.press(*prefix, "enter", "escape")
        await pilot.pause(1.2)  # a fresh snapshot reaches the panes
        out.parent.mkdir(parents=True, exist_ok=True)
        app.save_screenshot(filename=out.name, path=str(out.parent))
        await pilot.press("q")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(DEFAULT_NAMES))
    parser.add_argument("--at-step", type=int, default=300)
    parser.add_argument("--prefix", default="ka")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshot.svg"))
    args = parser.parse_args()
    dataset = datasets.resolve_dataset(args.data, None)
    spec = RunSpec(dataset, RunSettings(ModelConfig(len(dataset.chars) + 1)))
    app = MicroGPTApp(spec, dataset.description)
    asyncio.run(shoot(app, args.at_step, args.prefix, Path(args.out)))
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
