"""The X-ray: the forward pass drawn as a map, with a word of your own traced through it.

Each row is one stage of the pass, top to bottom in the order microgpt computes it, read
from the model's config (so 2 layers or 8 heads draw as they are). A row that multiplies by
a weight matrix names it and its shape; Enter on it closes the X-ray and shows that matrix
in the parameters pane. Every row also shows the chosen position's actual vector as a heat
strip: the numbers the inference forward pass recorded while it ran (engine/trace.py), on
the latest snapshot's weights. ←/→ pick the position, the box above picks the word.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from rich.segment import Segment
from rich.style import Style
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Static

from ...datasets import printable
from ...engine.trace import PositionTrace, trace_tokens
from ..training.snapshot import ModelSnapshot
from ..panes.heads_off import heads_in_model, heads_words
from .live_screen import LiveScreen
from ..widgets.heat_strip import background, heat_strip_segments, strip_scale
from ..widgets.heatmap import ColourScale
from ..widgets.stage_list import StageList
from ..widgets.text_box import TextBox

DEFAULT_WORD = "emma"
TOP_CHARACTERS = 5
LABEL_WIDTH, MATRIX_WIDTH = 19, 16

HELP_LINE = ("Each row is one stage of the forward pass, top to bottom; its strip is this position's vector "
             "(blue negative, orange positive). ←/→ position · ↑/↓ stage · Enter on a matrix shows it in the "
             "parameters pane · tab: the word box · Escape closes")


@dataclass
class Stage:
    """One row of the map: what it computes and, for the traced position, its vector."""

    label: str
    values: list[float]
    matrix: str | None = None  # the weight matrix this stage multiplies by, as the parameters pane names it
    shape: str = ""
    note: str = ""  # a few words after the strip
    signed: bool = True  # False for weights and probabilities (0..1)
    gap_every: int = 0  # a mark between heads' slices
    attention: list[tuple[str, float]] = field(default_factory=list)  # a head's (character, weight) per position
    detail: str = ""  # the numbers in full, for the detail line


def numbers(values: list[float]) -> str:
    # 64 numbers (the MLP's) fit the detail lines with two decimals, 16 with three
    form = "{:+.3f}" if len(values) <= 32 else "{:+.2f}"
    return " ".join(form.format(v) for v in values)


def weight_words(weight: float) -> str:
    """A weight in three characters: ".40", or "1.0"."""
    two = f"{weight:.2f}"
    return "1.0" if two == "1.00" else two[1:]


def top_characters(trace: PositionTrace, symbol, count: int = TOP_CHARACTERS) -> list[tuple[str, float]]:
    """The likeliest next characters at this position, with their probabilities (ties by token order)."""
    ranked = sorted(range(len(trace.probs)), key=lambda token: (-trace.probs[token], token))
    return [(symbol(token), trace.probs[token]) for token in ranked[:count]]


def build_stages(snapshot: ModelSnapshot, traces: list[PositionTrace], position: int) -> list[Stage]:
    """The map's rows for one position of a traced word, in the forward pass's order."""
    config, tokenizer = snapshot.config, snapshot.tokenizer
    d, hd, mlp, vocab = config.n_embd, config.head_dim, config.mlp_width, config.vocab_size

    def symbol(token: int) -> str:
        return printable(tokenizer.symbol(token))

    t = traces[position]
    square = f"{d}×{d}"
    stages = [
        Stage("token embedding", t.wte, "wte", f"{vocab}×{d}", note=f"row {symbol(t.token)!r}"),
        Stage("position embedding", t.wpe, "wpe", f"{config.block_size}×{d}", note=f"row {position}"),
        Stage("add", t.embedding, note="wte row + wpe row"),
        Stage("rmsnorm", t.normed, note="scaled to root-mean-square 1"),
    ]
    for number, layer in enumerate(t.layers):
        at = f"L{number} "
        stages += [
            Stage(at + "rmsnorm", layer.attn_norm),
            Stage(at + "q", layer.q, f"layer{number}.attn_wq", square, note=f"{config.n_head} heads × {hd}",
                  gap_every=hd),
            Stage(at + "k", layer.k, f"layer{number}.attn_wk", square, gap_every=hd),
            Stage(at + "v", layer.v, f"layer{number}.attn_wv", square, gap_every=hd),
        ]
        for head_number, head in enumerate(layer.heads):
            looked_at = [(symbol(traces[j].token), w) for j, w in enumerate(head.weights)]
            stages.append(Stage(
                f"{at}head {head_number} softmax", head.weights, note=f"q·k/√{hd}", signed=False, attention=looked_at,
                detail=(f"scores q·k/√{hd} {numbers(head.scores)} · weights "
                        + " ".join(f"{c}:{w:.3f}" for c, w in looked_at) + f" · weighted v {numbers(head.out)}"),
            ))
        stages += [
            Stage(at + "weighted v", layer.heads_out, note="heads side by side", gap_every=hd),
            Stage(at + "attn_wo", layer.attn_out, f"layer{number}.attn_wo", square),
            Stage(at + "+ residual", layer.after_attn, note="attn_wo + the layer's input"),
            Stage(at + "rmsnorm", layer.mlp_norm),
            Stage(at + "mlp_fc1", layer.fc1, f"layer{number}.mlp_fc1", f"{mlp}×{d}"),
            Stage(at + "ReLU", layer.relu, note=f"{len(layer.active_units)}/{mlp} active"),
            Stage(at + "mlp_fc2", layer.fc2, f"layer{number}.mlp_fc2", f"{d}×{mlp}"),
            Stage(at + "+ residual", layer.x_out, note="mlp_fc2 + its input"),
        ]
    top = top_characters(t, symbol)
    stages += [
        Stage("logits", t.logits, "lm_head", f"{vocab}×{d}", note="one per token"),
        Stage("softmax", t.probs, signed=False, note=" ".join(f"{c} {p:.2f}" for c, p in top[:3]),
              detail="next character: " + " · ".join(f"{c!r} {p:.4f}" for c, p in top)),
    ]
    return stages


BOLD, ITALIC, DIM = Style(bold=True), Style(italic=True), Style(dim=True)
WEIGHT_SCALE = ColourScale.sequential(0.0, 1.0)


@lru_cache(maxsize=64)
def chip_style(level: int) -> Style:
    """An attention chip: black character and weight on the weight's colour."""
    return Style(color="black") + background(WEIGHT_SCALE.ramp[level])


def stage_prompt(stage: Stage) -> list[Segment]:
    """A row: its label, its matrix and shape, its vector as a strip, and its note."""
    matrix = f"{stage.matrix.split('.')[-1]} {stage.shape}" if stage.matrix else ""
    row = [Segment(f"{stage.label:<{LABEL_WIDTH}}", BOLD if stage.matrix else None),
           Segment(f"{matrix:<{MATRIX_WIDTH}}", ITALIC)]
    if stage.attention:
        for character, weight in stage.attention:
            row += [Segment(character + weight_words(weight), chip_style(WEIGHT_SCALE.level(weight))), Segment(" ")]
    else:
        cell_width = 2 if len(stage.values) <= 32 else 1
        row += heat_strip_segments(stage.values, strip_scale(stage.values, stage.signed), cell_width,
                                   stage.gap_every)
    if stage.note:
        row.append(Segment("  " + stage.note, DIM))
    return row


class XrayScreen(LiveScreen):
    """The model map and a traced word. Returns the name of a matrix to show, or None."""

    CSS_PATH = "xray.tcss"
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("left", "move_position(-1)", "Position −", key_display="←"),
        Binding("right", "move_position(1)", "Position +", key_display="→"),
    ]

    def __init__(self, snapshot: ModelSnapshot | None, word: str = DEFAULT_WORD,
                 heads_off: frozenset[tuple[int, int]] = frozenset()) -> None:
        super().__init__(snapshot)
        self.heads_off = heads_off  # switched off in the attention pane: the X-ray shows the same model
        self.word = word or DEFAULT_WORD
        self.position = 0
        self.traces: list[PositionTrace] = []
        self.stages: list[Stage] = []
        self._traced_for: tuple | None = None  # (snapshot, word) the traces are of
        self._drawn_for: tuple | None = None  # (snapshot, word, position) the rows show

    def compose(self) -> ComposeResult:
        yield Static(id="xray-heading", markup=False)
        with Horizontal(id="xray-controls"):
            yield Static("word", id="xray-word-label")
            yield TextBox(self.word, placeholder="a word to trace", id="xray-word")
            yield Static(id="xray-position", markup=False)
        yield StageList(id="xray-map")
        yield Static(id="xray-detail", markup=False)
        yield Static(HELP_LINE, id="xray-help", markup=False)

    def on_mount(self) -> None:
        self.query_one("#xray-word", Input).cursor_blink = False
        self.follow_snapshots()
        self.query_one("#xray-map", StageList).focus()

    # ----- the user -----

    def action_move_position(self, delta: int) -> None:
        if self.traces:
            self.position = min(len(self.traces) - 1, max(0, self.position + delta))
            self._redraw()

    @on(Input.Changed, "#xray-word")
    def _word_changed(self, event: Input.Changed) -> None:
        self.word = event.value
        self._redraw()

    @on(Input.Submitted, "#xray-word")
    def _word_submitted(self) -> None:
        self.query_one("#xray-map", StageList).focus()

    @on(StageList.Highlighted, "#xray-map")
    def _stage_highlighted(self) -> None:
        self._describe_stage()

    @on(StageList.Selected, "#xray-map")
    def _stage_selected(self, event: StageList.Selected) -> None:
        stage = self.stages[event.index]
        if stage.matrix:
            self.dismiss(stage.matrix)
        else:
            self._say_detail(f"{stage.label.strip()} multiplies by no matrix: Enter opens the rows in bold")

    # ----- drawing -----

    def _trace(self) -> str | None:
        """Trace the word on the snapshot's weights, once per (snapshot, word); an error, or None."""
        s = self.snapshot
        if s is None:
            return "no snapshot yet: the X-ray draws once training reports its first weights"
        unknown = s.tokenizer.unknown_chars(self.word)
        if unknown:
            return f"the model has no {printable(unknown[0])!r}: use only characters of its data"
        if not self.word:
            return "type a word to trace"
        if self._traced_for is None or self._traced_for[0] is not s or self._traced_for[1] != self.word:
            tokens = s.tokenizer.encode_document(self.word)[:-1]  # position p reads token p, predicts p+1
            self.traces = trace_tokens(s.config, s.weights, tokens, heads_in_model(self.heads_off, s.config))
            self._traced_for = (s, self.word)
            self.position = min(self.position, len(self.traces) - 1)
        return None

    def _redraw(self) -> None:
        error = self._trace()
        heading = self.query_one("#xray-heading", Static)
        if error:
            heading.update(f"X-ray · {error}", layout=False)
            return
        key = (self.snapshot, self.word, self.position)
        if key == self._drawn_for:
            return
        self._drawn_for = key
        s, p = self.snapshot, self.position
        tokenizer = s.tokenizer
        tokens = tokenizer.encode_document(self.word)
        reads = printable(tokenizer.symbol(tokens[p]))
        target = printable(tokenizer.symbol(tokens[p + 1])) if p + 1 < len(tokens) else "?"
        c = s.config
        off = heads_in_model(self.heads_off, c)
        switched_off = f" · heads off: {heads_words(off)}" if off else ""  # early: a long heading is cut
        heading.update(f"X-ray · step {s.step}{switched_off} · {c.n_layer} layer(s), {c.n_head} heads, "
                       f"n_embd {c.n_embd} · {printable(self.word)!r} at position {p}: reads {reads!r}, "
                       f"the next is {target!r}", layout=False)
        self.query_one("#xray-position", Static).update(
            f"position {p} of 0–{len(self.traces) - 1} (←/→)", layout=False)
        self.stages = build_stages(s, self.traces, p)
        self._fill_map()
        self._describe_stage()

    def _fill_map(self) -> None:
        """New rows; when the model's shape is unchanged the highlight stays put and unchanged rows keep their strips."""
        self.query_one("#xray-map", StageList).set_rows(stage_prompt(stage) for stage in self.stages)

    def _describe_stage(self) -> None:
        index = self.query_one("#xray-map", StageList).highlighted
        if not 0 <= index < len(self.stages):
            return
        stage = self.stages[index]
        where = f"{stage.matrix} [{stage.shape}] · " if stage.matrix else ""
        self._say_detail(f"{stage.label.strip()} · {where}{stage.detail or numbers(stage.values)}")

    def _say_detail(self, text: str) -> None:
        self.query_one("#xray-detail", Static).update(text, layout=False)
