"""`microgpt-tui inspect --trace` and `--head-off L:H`, against a plain reading of microgpt's forward pass."""

import json
import math

import pytest

from microgpt_tui.engine import checkpoint
from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.params import ParamLayout
from microgpt_tui.engine.tokenizer import Tokenizer
from microgpt_tui.engine.trainer import Trainer
from conftest import after_steps, run_cli

NAMES = "emma olivia ava isabella sophia charlotte mia amelia harper evelyn".split() * 3


def saved_model(path, **shape) -> Trainer:
    config = ModelConfig(vocab_size=Tokenizer.from_documents(NAMES).vocab_size, **shape)
    trainer = after_steps(Trainer(NAMES, config, TrainConfig(steps=20, seed=5), "fast"), 4)
    checkpoint.save(trainer.checkpoint("test", ""), path)
    return trainer


# --- microgpt's forward pass, read plainly from the algorithm (reference/microgpt-algorithm.md) ---

def matvec(w, x):
    return [sum(w[o][i] * x[i] for i in range(len(x))) for o in range(len(w))]


def rmsnorm(x):
    mean_square = sum(v * v for v in x) / len(x)
    return [v / math.sqrt(mean_square + 1e-5) for v in x]


def softmax(z):
    top = max(z)
    e = [math.exp(v - top) for v in z]
    return [v / sum(e) for v in e]


def plain_forward(config, w, tokens, heads_off=()):
    """For each position: (attention[layer][head][0..p], logits), heads in heads_off giving zeros."""
    d, n_head = config.n_embd, config.n_head
    hd = d // n_head
    keys = [[] for _ in range(config.n_layer)]
    vals = [[] for _ in range(config.n_layer)]
    out = []
    for p, token in enumerate(tokens):
        x = rmsnorm([w["wte"][token][i] + w["wpe"][p][i] for i in range(d)])
        attention = []
        for layer in range(config.n_layer):
            m = lambda name: w[f"layer{layer}.{name}"]
            r = x
            h = rmsnorm(x)
            q = matvec(m("attn_wq"), h)
            keys[layer].append(matvec(m("attn_wk"), h))
            vals[layer].append(matvec(m("attn_wv"), h))
            concat, per_head = [], []
            for head in range(n_head):
                s = slice(head * hd, (head + 1) * hd)
                scores = [sum(a * b for a, b in zip(q[s], k[s])) / math.sqrt(hd) for k in keys[layer]]
                weights = softmax(scores)
                per_head.append(weights)
                if (layer, head) in heads_off:
                    concat += [0.0] * hd
                else:
                    concat += [sum(weights[t] * vals[layer][t][j] for t in range(p + 1)) for j in range(s.start, s.stop)]
            attention.append(per_head)
            x = [a + b for a, b in zip(matvec(m("attn_wo"), concat), r)]
            r = x
            hidden = [max(0.0, v) for v in matvec(m("mlp_fc1"), rmsnorm(x))]
            x = [a + b for a, b in zip(matvec(m("mlp_fc2"), hidden), r)]
        out.append((attention, matvec(w["lm_head"], x)))
    return out


def close(a, b, tolerance=1e-12):
    """Nested lists equal in shape, every float within tolerance."""
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(close(x, y, tolerance) for x, y in zip(a, b))
    return abs(a - b) <= tolerance


SHAPES = {"reference": {}, "2 layers, 2 heads": {"n_layer": 2, "n_head": 2, "n_embd": 8, "block_size": 8}}
HEADS_OFF = {"all heads on": [], "heads 0:1 and 0:3 off": ["0:1", "0:3"]}


@pytest.mark.parametrize("off", HEADS_OFF.values(), ids=HEADS_OFF.keys())
@pytest.mark.parametrize("word", ["isabella", "mia"])
def test_trace_gives_the_attention_and_logits_of_a_plain_forward_pass(off, word, tmp_path, capsys):
    path = tmp_path / "run.json"
    trainer = saved_model(path)
    argv = ["inspect", "--checkpoint", path, "--text", word, "--json", "--trace"]
    for pair in off:
        argv += ["--head-off", pair]
    status, out, err = run_cli(argv, capsys)
    assert status == 0 and err == ""
    shown = json.loads(out)

    heads_off = {tuple(map(int, pair.split(":"))) for pair in off}
    assert shown["heads_off"] == sorted([list(pair) for pair in heads_off])
    tokens = trainer.tokenizer.encode_document(word)
    weights = ParamLayout(trainer.config).matrices(trainer.params)
    plain = plain_forward(trainer.config, weights, tokens[:-1], heads_off)
    positions = shown["positions"]
    assert len(positions) == len(plain) == len(word) + 1
    surprises = []
    for pos, (position, (attention, logits)) in enumerate(zip(positions, plain)):
        assert len(position["attention"]) == 1 and len(position["attention"][0]) == 4
        assert all(len(weights) == pos + 1 for weights in position["attention"][0])
        assert close(position["attention"], attention)
        assert close(position["logits"], logits)
        # everything else it prints comes from the same pass, with the same heads off
        probs = softmax(logits)
        target = tokens[pos + 1]
        assert position["p"] == pytest.approx(probs[target], abs=1e-12, rel=0)
        assert position["surprise"] == pytest.approx(-math.log(probs[target]), abs=1e-12, rel=0)
        likeliest = sorted(range(len(probs)), key=lambda t: -probs[t])[:3]
        assert [char for char, _ in position["top"]] == [trainer.tokenizer.symbol(t) for t in likeliest]
        surprises.append(-math.log(probs[target]))
    assert shown["loss"] == pytest.approx(sum(surprises) / len(surprises), abs=1e-12, rel=0)


def test_trace_on_a_two_layer_model_and_heads_off_in_its_second_layer(tmp_path, capsys):
    path = tmp_path / "run.json"
    trainer = saved_model(path, **SHAPES["2 layers, 2 heads"])
    status, out, err = run_cli(["inspect", "--checkpoint", path, "--text", "amelia", "--json", "--trace",
                                "--head-off", "1:0"], capsys)
    assert status == 0 and err == ""
    shown = json.loads(out)
    tokens = trainer.tokenizer.encode_document("amelia")
    weights = ParamLayout(trainer.config).matrices(trainer.params)
    plain = plain_forward(trainer.config, weights, tokens[:-1], {(1, 0)})
    for position, (attention, logits) in zip(shown["positions"], plain):
        assert len(position["attention"]) == 2 and all(len(layer) == 2 for layer in position["attention"])
        assert close(position["attention"], attention) and close(position["logits"], logits)


def test_head_off_changes_the_loss_and_the_text_says_which_heads_are_off(tmp_path, capsys):
    path = tmp_path / "run.json"
    saved_model(path)
    _, on, _ = run_cli(["inspect", "--checkpoint", path, "--text", "emma", "--json"], capsys)
    _, off, _ = run_cli(["inspect", "--checkpoint", path, "--text", "emma", "--json", "--head-off", "0:2"], capsys)
    assert json.loads(on)["heads_off"] == [] and json.loads(off)["heads_off"] == [[0, 2]]
    assert json.loads(on)["loss"] != json.loads(off)["loss"]
    assert "attention" not in json.loads(off)["positions"][0]  # only --trace adds it

    status, text, err = run_cli(["inspect", "--checkpoint", path, "--text", "emma", "--trace",
                                 "--head-off", "0:2", "--head-off", "0:0"], capsys)
    lines = text.splitlines()
    assert status == 0 and err == ""
    assert lines[0].endswith("with heads 0:0 0:2 switched off")
    assert lines[-1].startswith("mean surprise") and lines[-1].endswith("with heads 0:0 0:2 switched off")
    assert any(line.startswith("attention:") for line in lines)
    # position 4 (after BOS e m m a) lists each head's 5 weights; the switched-off heads are marked
    head_lines = [line.split() for line in lines if line.startswith("     0:")]
    assert len(head_lines) == 5 * 4
    last = head_lines[-4:]
    assert [row[0] for row in last] == ["0:0", "0:1", "0:2", "0:3"]
    assert [len(row) for row in last] == [7, 6, 7, 6]  # the head, 5 weights, and "(off)" for 0:0 and 0:2
    assert sum(float(v) for v in last[1][1:]) == pytest.approx(1.0, abs=0.03)


@pytest.mark.parametrize("value, problem", [
    ("x", "takes LAYER:HEAD"),
    ("0", "takes LAYER:HEAD"),
    ("0:-1", "takes LAYER:HEAD"),
    ("a:b", "takes LAYER:HEAD"),
    ("1:0", "the model has 1 layer, numbered 0"),
    ("0:4", "each layer has 4 heads, numbered from 0 to 3"),
])
def test_a_bad_head_is_one_line_and_exit_2(value, problem, tmp_path, capsys):
    path = tmp_path / "run.json"
    saved_model(path)
    status, out, err = run_cli(["inspect", "--checkpoint", path, "--text", "emma", "--head-off", value], capsys)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "error:" in err and problem in err and "Traceback" not in err


def test_the_help_explains_trace_and_head_off(capsys):
    status, out, _ = run_cli(["inspect", "--help"], capsys)
    assert status == 0
    for words in ("--trace", "--head-off L:H", "reading --trace", "--head-off 0:1 --head-off 0:3"):
        assert words in out
