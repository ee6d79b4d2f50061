"""The `?` screen: what each pane shows and how to read it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from ..panes.loss_pane import SMOOTHING
from ..panes.sample_pane import FINAL_SAMPLES, TEMPERATURE_STEP
from ..training.session import VALIDATION_EVERY, VALIDATION_NAMES, VALIDATION_SHARE

HELP = f"""\
# How to read microgpt-tui

microgpt is a GPT with about four thousand numbers in it. It reads a name one character at
a time and, at every position, guesses the next character. Training shows it one name per
**step**, measures how wrong its guesses were (the **loss**), and nudges every number a
little in the direction that would have made the guesses better. Nothing else happens:
what you see in the panes is all there is.

## The status line

The data set and how many names it holds; the model's parameter count and the engine that
computes its gradients; how many steps are done out of the run; whether training is
RUNNING, PAUSED or DONE; how fast it goes, when it will finish, and the current
**learning rate** (how big each nudge is; it shrinks linearly to zero by the last step).

## Loss

The loss is the average of −ln(p) over a name's positions, where p is the probability
the model gave to the character that really came next. A perfect guess (p = 1) scores 0.

- **Each bar** of the top strip is one step, that is one name. It jumps around because
  some names are easy to guess and some are not; the strip shows only the latest steps.
  With the bars focused (`tab`), `←`/`→` pick an earlier step (a click picks a bar, `end`
  goes back to the latest); ▲ marks the step shown below them.
- **The step strip** tells that step: `step 17 · 'kayle' · loss 2.913`, then each character
  the step predicted (the name's letters, then ◆, the end of the name) over the
  probability p the model gave it *before* the step's update. The colour is the
  character's **surprise**, −ln p: green was easy, red was no better than a blind guess.
  The loss is the mean of these surprises. The most surprising character is described on
  the last line; focus the strip (`tab`) and `←`/`→` pick another: its p, its surprise and
  the model's three likeliest guesses there. Every pane shows the same step: the name
  the attention pane follows and the gradient in the parameters pane are this step's.
- **The curve** is the moving average over the last {SMOOTHING} steps, drawn across the whole
  run. This is the trend to watch: it falls fast at first, then slowly.
- **╌ uniform** is ln(vocabulary size): the loss of a model that knows nothing and gives
  every character the same chance. A fresh model starts near it.
- **┈ unigram** and **┈ bigram** are models that only count, on the same held-out names as
  validation: unigram gives each character the share it has in the training names;
  bigram, the share it has *after the character before it* (a table of which letter
  follows which). A validation loss below the bigram line means the model predicts
  names it has never seen better than that table does: it uses more than the one
  character before, such as the earlier ones attention lets it see and the position in
  the name. Above the line, a table of letter pairs would still do better.
- **◆ validation** scores names the run never trains on (held out from the end of the
  shuffled list): {VALIDATION_NAMES} of them every {VALIDATION_EVERY} steps (less often when training is fast, so
  that scoring never takes more than {VALIDATION_SHARE:.0%} of the time), and all of them at the end.
  If it stays close to the training curve, the model is learning how names work, not
  memorising these ones.
- **best** is the lowest point of the smoothed curve so far.

## Attention

Type a word, or leave the box empty to follow training: the grids are then for the name
the last step trained on ("following step 17: 'kayle'"). Each grid is one
**attention head**. Row = the position doing the looking (the query), column = a position
it may look at (the key); only earlier positions and itself are allowed, which is why the
grid is a triangle. A brighter cell means more weight; each row's weights add up to 1.
◆ stands for BOS, the token that marks the start (and end) of a name. Move onto a cell to
read its exact weight; switch layers if the model has more than one.

`o` switches the head under the cursor **off** for inference, and `o` again back on: the
head still looks where it looked (its grid stays, titled "head 1 · off"), but what it
passes on becomes zeros, as if it were not there. Training never notices: only what the
panes work out changes. The sample pane then makes names and gives odds without that head,
and says so ("heads off: 0:1", layer:head). A line here scores the held-out names with the
weights shown, first with all heads, then without the ones that are off: "held-out loss
2.3141 all on · 2.4712 with 0:1 off". The larger the second number, the more the model
needs that head; about the same means the others do its job, or it has learned little yet.

## Parameters

Every weight matrix with its shape and live statistics: the spread (std) of its values,
the size (norm) of the last step's gradient (**|grad|**), and **update/weight**, how much
the last step changed it relative to its size (around 0.001 to 0.01 is healthy). Choose
one to see it as a heatmap: rows of `wte` and `lm_head` are characters, rows of `wpe`
are positions. The heading names the step it shows and the name that step trained on.
`g` switches the heatmap between the values, the last step's **gradient** (in `wte` only
the rows of that name's characters and ◆ light up: the only ones the step read), its
**update** (the change it made to each weight: after − before), and Adam's **m** (its
running average of gradients) and **v** (of squared gradients).

`c` on a weight in the heatmap **checks its gradient** without backprop: it computes the
shown step's loss (on the name that step trained on, with the weights from before it) with
that one weight nudged up and down by a small h, and takes the slope, (loss(w + h) −
loss(w − h)) / 2h, refined with h/2. Beside it is the engine's gradient from backprop, and
their **relative error**: around 1e-9 or below means backprop got this weight's gradient
right (a ReLU switching at the nudge can make it larger). It works on a copy of the
weights, in the background; the run is never touched.

## X-ray (`x`)

The forward pass drawn as a map, one row per stage, top to bottom in the order the model
computes it: the token's row of **wte** plus the position's row of **wpe**, rmsnorm, then per
layer: rmsnorm, **q**, **k** and **v** (each head reads its own slice, marked by ▕), each head's
softmax of q·k/√(head size) over the positions so far, the heads' weighted values side by
side, **attn_wo**, the residual add, rmsnorm, **mlp_fc1**, ReLU, **mlp_fc2**, the residual
add; last **lm_head** gives one logit per token and softmax turns them into next-character
odds. A row in bold multiplies by that weight matrix (its shape is rows × columns); Enter
on it closes the X-ray and shows the matrix in the parameters pane.

Type a word in the box and pick a position with `←`/`→`: position p reads the word's
p-th token (◆ first) and guesses the next. Every row's strip is that position's actual
vector on the latest weights, one cell per number (blue negative, orange positive, grey
near zero, scaled to the row's largest); the line under the map gives the highlighted
row's numbers. A head's row shows each earlier character with the weight it gets; the
ReLU row counts the units it lets through; the softmax row lists the likeliest next
characters. These are the numbers the model's own forward pass computed, recorded as it ran.

## Embeddings (`e`)

Each character's row of **wte** is a point in n_embd dimensions. The map shows the points
from the two directions in which they spread out most (the principal components), so
characters the model treats alike end up close together. Each axis says what share of the
points' variance it shows: the rest lies in directions a flat picture cannot show. It
follows training live.

## Comparing runs

Change one thing and watch what happens. **Train more** (`m`) starts a new linear decay of
the learning rate from --lr over the added steps; a ┊ on the loss chart marks where it began.
**New run** (`ctrl+n`) starts over with other settings in this same app; **branch** instead
carries on from this step's exact weights, Adam moments and random generator, with another
learning rate or length. Earlier runs stay on the loss chart as muted curves drawn with their
number (`1`, `2`, ...), with a legend naming what each changed from run 1.

## Sample

Type a prefix and press Enter for ten names that start with it, each marked **new** or
as a name from the training data. While you type, bars show the model's top guesses for
the next character, with the odds that sampling draws from. **Temperature** divides the
model's scores before they become probabilities: 0 always takes the likeliest character,
1 samples the model's own distribution, higher gets wilder. Move the slider and watch the
bars sharpen or flatten. When training is done, names appear on their own ({FINAL_SAMPLES}, or
as many as --num-samples asks for).

## Keys

Every key the app knows, read from its bindings. Most are shown in the footer too; the
command palette (`ctrl+p`) lists every action by name.

{{keys}}
While you are typing in a box, letters go into the box: press `escape` first.
"""


KeyRows = list[tuple[str, list[tuple[str, str]]]]  # (where the keys work, [(key, what it does)])


def key_table(sections: KeyRows) -> str:
    """The keys as Markdown: a table for each place they work."""
    parts = []
    for where, rows in sections:
        lines = [f"**{where}**", "", "| key | what it does |", "| --- | --- |"]
        lines += [f"| {_code(key)} | {what.replace('|', '/')} |" for key, what in rows]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def _code(key: str) -> str:
    # `|` would end a table cell, and a backtick would end the code span
    return " / ".join(f"`{k}`" if k not in ("|", "`") else f"``{k}``" for k in key.split(" / ")).replace("|", "\\|")


class HelpScreen(ModalScreen[None]):
    """A scrollable page over the app; any of escape, q or ? closes it.

    `keys` is the key table, built by the app from its bindings and its panes'.
    """

    BINDINGS = [
        Binding("escape,q,question_mark", "close", "Close help"),
    ]

    def __init__(self, keys: KeyRows = ()) -> None:
        super().__init__()
        self.text = HELP.replace("{keys}", key_table(list(keys)))

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Markdown(self.text)

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss()
