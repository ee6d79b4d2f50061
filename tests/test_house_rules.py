"""The rules of the house (../shared/DESIGN.md), checked on the source: rooms, import circles, relative imports."""

from import_graph import ROOT, absolute_self_imports, find_cycles, import_graph

# What each room may import from the project. A room never imports from a room above it.
BELOW = {
    "engine": {"engine"},
    "datasets": {"datasets"},
    "tui.training": {"engine", "datasets", "tui.training"},
    "tui.widgets": {"engine", "datasets", "tui.widgets"},
    "tui.panes": {"engine", "datasets", "tui.training", "tui.widgets", "tui.panes"},
    "tui.screens": {"engine", "datasets", "tui.training", "tui.widgets", "tui.panes", "tui.screens", "tui.status_line"},
}


def room_of(module: str) -> str:
    name = module.removeprefix("microgpt_tui.")
    for room in sorted(BELOW, key=len, reverse=True):
        if name == room or name.startswith(room + "."):
            return room
    return name


def test_the_graph_finds_a_circle_when_there_is_one():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles():
    assert find_cycles(import_graph()) == []


def test_no_room_imports_from_a_room_above_it():
    wrong = []
    for module, targets in import_graph().items():
        allowed = BELOW.get(room_of(module))
        if allowed is None:
            continue
        for target in targets:
            if room_of(target) not in allowed and not any(room_of(target).startswith(a + ".") for a in allowed):
                wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_imports_inside_the_project_are_relative():
    assert absolute_self_imports() == []


def test_tui_keeps_at_most_ten_modules_at_its_top():
    top = sorted(path.name for path in (ROOT / "tui").glob("*.py"))
    assert len(top) <= 10, top
