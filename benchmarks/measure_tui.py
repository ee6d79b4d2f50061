"""Measure the app as a person would use it: in a real terminal (tmux), while it trains.

    python benchmarks/measure_tui.py [--data NAMES_TXT] [--sizes 120x40,200x60] [--presses 40]
                                     [--steps 3000] [--repeats 3] [--keys "x"]

Three figures at each terminal size, with the issue's targets:

1. Live panes (target: the Parameters pane's figures change at least 30 times in 10 s).
   The app trains flat out in a detached tmux session of that size (`--steps 1000000
   --speed max`); the script reads the screen every 10 ms for 10 s and counts how often
   the |grad| and update/w figures of the Parameters table change.

2. Key press -> screen change, p50 and p95 (target: p95 < 50 ms), in the same session,
   still training. The script sends `]` and `[` in turn (the sample pane's temperature
   moves by 0.05) and `space` (the status line flips between RUNNING and PAUSED), and
   polls the screen (capture-pane, through one tmux control-mode client, every
   millisecond) until it shows the change. The figure includes tmux's own delivery and
   drawing.

3. Training steps/s in the app vs headless (target: the app keeps >= 90 %). Both train
   the same settings with --log-jsonl; the script counts the log's lines as they appear
   and takes the rate between 10 % and 90 % of the steps, so start-up and the final
   validation do not count. Runs alternate app/headless, --repeats times each, and the
   medians are compared. Headless output goes to /dev/null.

--keys sends keys to the app once it runs, before anything is measured (tmux send-keys
names, separated by spaces: "x" opens the X-ray, "e" the embedding map, "Tab o" switches
attention head 0 off), so the figures can be taken with a view open. A view that hides
the panes hides what figures 1 and 2 watch: then --latency-keys and --latency-pattern
name two keys to press in turn and a regular expression whose match on screen they
change (for the X-ray: --latency-keys "Right Left" --latency-pattern "position \d+ of"),
and the Parameters figures are not counted.

Other processes on the machine add noise: the load average is printed with the results.
This is a script to run by hand, not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_NAMES = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "names.txt"
SESSION = f"measure-tui-{os.getpid()}"
TEMPERATURE = re.compile(r"temperature\b.*?(\d+\.\d\d)")


COMMAND = ["microgpt-tui"]  # --command replaces it


def app_command() -> list[str]:
    exe = shutil.which(COMMAND[0])
    if exe is None:
        sys.exit(f"{COMMAND[0]} is not on PATH: activate the project's virtual environment first")
    return [exe, *COMMAND[1:]]


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


class ControlClient:
    """One tmux client in control mode (tmux -C): commands go in on stdin, answers come back
    between %begin and %end. Polling the screen through it costs microseconds, where
    starting a `tmux capture-pane` process each time would take a core from the app."""

    def __init__(self, session: str):
        self.process = subprocess.Popen(["tmux", "-C", "attach", "-t", session],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self._answer()  # attaching answers once
        self.command("refresh-client -f no-output")  # no copy of everything the app draws

    def command(self, line: str) -> list[str]:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self._answer()

    def _answer(self) -> list[str]:
        lines: list[str] = []
        inside = False
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("the tmux control client went away")
            if line.startswith("%begin"):
                inside, lines = True, []
            elif line.startswith(("%end", "%error")) and inside:
                return lines
            elif inside:
                lines.append(line.rstrip("\n"))

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


CLIENT: list[ControlClient] = []  # the control client while an app runs


def screen() -> str:
    if CLIENT:
        return "\n".join(CLIENT[0].command(f"capture-pane -p -t {SESSION}"))
    return tmux("capture-pane", "-p", "-t", SESSION)


def send_key(key: str) -> None:
    if CLIENT:
        CLIENT[0].command(f"send-keys -t {SESSION} {key}")
    else:
        tmux("send-keys", "-t", SESSION, key)


SIZE = [(120, 40)]  # the terminal size of the app being measured
KEYS: list[str] = []  # sent once the app runs (--keys)
PARAMETER_ROW = re.compile(r"^│\s+((?:layer\d+\.)?\w+)\s+(\d+\.\d+)\s+(\d\.\de[+-]\d+)\s")


def start_app(args: list[str]) -> None:
    width, height = SIZE[0]
    command = " ".join(app_command() + args)
    tmux("new-session", "-d", "-s", SESSION, "-x", str(width), "-y", str(height), command)


def open_views() -> None:
    """Press --keys once the app shows a step."""
    if KEYS:
        wait_until(lambda: current_step(screen()) is not None)
        for key in KEYS:
            send_key(key)
            time.sleep(0.3)


def parameter_figures(text: str) -> tuple:
    """The Parameters table's rows as drawn: (matrix, |grad|, update/w) each."""
    return tuple(match.groups() for line in text.splitlines() if (match := PARAMETER_ROW.match(line)))


def count_figure_changes(seconds: float) -> tuple[int, int] | None:
    """How often the Parameters table's figures changed on screen, and the steps trained meanwhile."""
    changes, last = 0, parameter_figures(screen())
    if not last:
        return None  # a view hides the table
    first_step = current_step(screen())
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        now = parameter_figures(screen())
        if now and now != last:
            changes, last = changes + 1, now
        time.sleep(0.01)
    return changes, (current_step(screen()) or 0) - (first_step or 0)


def stop_app() -> None:
    subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
    # the next start reuses the name: wait until tmux has let go of it
    wait_until(lambda: subprocess.run(["tmux", "has-session", "-t", SESSION], capture_output=True).returncode != 0)


def wait_until(condition, timeout: float = 30.0, every: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError("the screen never showed what was expected")


def current_step(text: str) -> int | None:
    match = re.search(r"step\s+(\d+)/\d+", text)
    return int(match.group(1)) if match else None


def temperature_on(text: str) -> str | None:
    for line in text.splitlines():
        match = TEMPERATURE.search(line)
        if match:
            return match.group(1)
    return None


def state_on(text: str) -> str | None:
    match = re.search(r"\b(RUNNING|PAUSED|DONE)\b", text.splitlines()[0] if text else "")
    return match.group(1) if match else None


def press_and_time(key: str, changed) -> float:
    """Seconds from sending `key` until `changed(screen)` is true."""
    before = screen()
    started = time.perf_counter()
    send_key(key)
    while True:
        now = screen()
        if changed(before, now):
            return time.perf_counter() - started
        if time.perf_counter() - started > 2.0:
            raise TimeoutError(f"pressing {key!r} changed nothing within 2 s")
        time.sleep(0.001)


def cpu_seconds() -> dict[int, tuple[float, str]]:
    """Every process's CPU time so far, with its command line."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        found[int(entry.name)] = ((int(fields[11]) + int(fields[12])) / ticks, command)
    return found


def others_busy(before: dict, after: dict, seconds: float, ours: tuple[str, ...]) -> list[str]:
    """Processes not started by this measurement that used over 20 % of a core meanwhile."""
    busy = []
    for pid, (used, command) in after.items():
        share = (used - before.get(pid, (0.0, ""))[0]) / seconds
        if share > 0.2 and command and not any(word in command for word in ours):  # no command line: a kernel thread
            busy.append(f"{share:.0%} {command[:70]}")
    return busy


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure_latency(data: str, presses: int, seconds: float, keys: list[str], pattern: str | None) -> dict:
    start_app(["--data", data, "--steps", "1000000", "--speed", "max"])  # flat out, as the targets are stated
    CLIENT.append(ControlClient(SESSION))
    try:
        wait_until(lambda: (current_step(screen()) or 0) > 50 and state_on(screen()) == "RUNNING")
        open_views()
        time.sleep(1.0)
        counted = count_figure_changes(seconds)
        if pattern:
            shown = re.compile(pattern)
            changed = lambda a, b: (m := shown.search(a)) and (n := shown.search(b)) and m.group(0) != n.group(0)
            name = f"{' and '.join(keys)} ({pattern})"
        else:
            changed = lambda a, b: temperature_on(a) != temperature_on(b)
            name = "] and [ (temperature)"
        timed: list[float] = []
        for i in range(presses):
            timed.append(press_and_time(keys[i % 2], changed))
            time.sleep(random.uniform(0.2, 0.5))  # a person's pace, and never in step with the app's timers
        results = {name: timed}
        if not pattern:  # the status line is on screen
            spaces: list[float] = []
            for _ in range(max(10, presses // 2)):
                spaces.append(press_and_time("Space", lambda a, b: state_on(a) != state_on(b)))
                time.sleep(random.uniform(0.2, 0.5))
            results["space (RUNNING/PAUSED)"] = spaces
        results["_counted"] = counted
        return results
    finally:
        CLIENT.pop().close()
        stop_app()


def log_rate(log: Path, steps: int, process_alive) -> float:
    """Steps per second between 10 % and 90 % of the run, from a growing JSONL log."""
    low, high = steps // 10, steps * 9 // 10
    marks: dict[str, tuple[float, int]] = {}
    lines, offset, polls = 0, 0, 0
    while "high" not in marks:
        polls += 1
        alive = polls % 50 or process_alive()  # asked once a second: it may start a process
        try:
            with log.open("rb") as f:  # read only what is new: the poll must not cost a core
                f.seek(offset)
                chunk = f.read()
        except FileNotFoundError:
            chunk = b""
        offset += len(chunk)
        lines += chunk.count(b"\n")
        now = time.perf_counter()
        if "low" not in marks and lines >= low:
            marks["low"] = (now, lines)
        if lines >= high:
            marks["high"] = (now, lines)
        elif not alive:
            raise RuntimeError("the run ended before reaching 90 % of its steps")
        time.sleep(0.02)
    (t0, s0), (t1, s1) = marks["low"], marks["high"]
    return (s1 - s0) / (t1 - t0)


def app_rate(data: str, steps: int, folder: Path) -> float:
    log = folder / f"app-{time.monotonic_ns()}.jsonl"
    start_app(["--data", data, "--steps", str(steps), "--log-jsonl", str(log), "--speed", "max"])
    try:
        open_views()
        return log_rate(log, steps, lambda: subprocess.run(["tmux", "has-session", "-t", SESSION], capture_output=True).returncode == 0)
    finally:
        stop_app()


def headless_rate(data: str, steps: int, folder: Path) -> float:
    log = folder / f"headless-{time.monotonic_ns()}.jsonl"
    command = app_command() + ["--headless", "--data", data, "--steps", str(steps), "--num-samples", "0", "--log-jsonl", str(log)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return log_rate(log, steps, lambda: process.poll() is None)
    finally:
        process.terminate()
        process.wait()


def parse_size(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    return int(width), int(height)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(DEFAULT_NAMES), help="names file (default: ../shared/datasets/names.txt)")
    parser.add_argument("--sizes", default="120x40,200x60", help="terminal sizes, WxH, comma-separated (default: 120x40,200x60)")
    parser.add_argument("--presses", type=int, default=40, help="key presses for the latency figure (default: 40)")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to watch the Parameters figures (default: 10)")
    parser.add_argument("--steps", type=int, default=3000, help="steps per throughput run (default: 3000)")
    parser.add_argument("--repeats", type=int, default=3, help="throughput runs of each kind (default: 3)")
    parser.add_argument("--keys", default="", help='tmux keys to press once the app runs, e.g. "x" (default: none)')
    parser.add_argument("--latency-keys", default="] [", help='two keys pressed in turn for the latency figure (default: "] [")')
    parser.add_argument("--latency-pattern", default=None,
                        help="a regular expression whose match on screen those keys change (default: the temperature)")
    parser.add_argument("--command", default="microgpt-tui", help="the program to run (default: microgpt-tui)")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    COMMAND[:] = args.command.split()
    KEYS[:] = args.keys.split()
    if shutil.which("tmux") is None:
        sys.exit("tmux is needed: apt-get install tmux")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if KEYS:
        print(f"keys pressed once the app runs: {' '.join(KEYS)}")
    cpu_before, started = cpu_seconds(), time.monotonic()

    ok = True
    for size in args.sizes.split(","):
        SIZE[0] = parse_size(size)
        if not args.skip_latency:
            results = measure_latency(args.data, args.presses, args.seconds, args.latency_keys.split(), args.latency_pattern)
            counted = results.pop("_counted")
            if counted:
                changes, steps = counted
                ok &= changes >= 30
                print(f"\n{size}: the Parameters figures changed {changes} times in {args.seconds:g} s "
                      f"({steps} steps trained meanwhile)")
            else:
                print(f"\n{size}: the Parameters table is hidden by the view; its figures were not counted")
            print(f"{size}: key press -> screen change, training in tmux:")
            for name, values in results.items():
                ms = [v * 1000 for v in values]
                p95 = percentile(ms, 0.95)
                ok &= p95 < 50
                print(f"  {name:24} n={len(ms):3}  p50 {percentile(ms, 0.5):5.1f} ms  p95 {p95:5.1f} ms  max {max(ms):5.1f} ms")

        if not args.skip_throughput:
            with tempfile.TemporaryDirectory() as folder:
                in_app, headless = [], []
                for _ in range(args.repeats):
                    in_app.append(app_rate(args.data, args.steps, Path(folder)))
                    headless.append(headless_rate(args.data, args.steps, Path(folder)))
            ratio = statistics.median(in_app) / statistics.median(headless)
            ok &= ratio >= 0.9
            print(f"\n{size}: training steps/s between 10 % and 90 % of a {args.steps}-step run (median of {args.repeats}):")
            print(f"  in the app  {statistics.median(in_app):7.1f}   runs: {', '.join(f'{r:.1f}' for r in in_app)}")
            print(f"  headless    {statistics.median(headless):7.1f}   runs: {', '.join(f'{r:.1f}' for r in headless)}")
            print(f"  the app keeps {ratio:.1%} of headless speed")

    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    ours = ("microgpt-tui", "multiprocessing", "measure_tui", "tmux")
    busy = others_busy(cpu_before, cpu_seconds(), time.monotonic() - started, ours)
    if busy:
        print("other processes were busy meanwhile; the figures are pessimistic:")
        for line in busy:
            print(f"  {line}")
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
