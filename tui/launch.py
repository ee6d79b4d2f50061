"""Opening the Textual app (a later issue builds it)."""

from microgpt_tui.tui.cli import UsageError


def run_app(args, settings) -> int:
    raise UsageError("the app is not built yet; run with --headless")
