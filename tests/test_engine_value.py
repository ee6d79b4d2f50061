"""Every Value operation's gradient agrees with a finite-difference estimate."""

import math

import pytest

from microgpt_tui.engine.value import Value, topological_order

OPS = {
    "add": lambda a, b: a + b,
    "radd": lambda a, b: 2.5 + a,
    "sub": lambda a, b: a - b,
    "rsub": lambda a, b: 1.5 - a,
    "mul": lambda a, b: a * b,
    "rmul": lambda a, b: 3.0 * a,
    "div": lambda a, b: a / b,
    "rdiv": lambda a, b: 2.0 / a,
    "neg": lambda a, b: -a,
    "pow": lambda a, b: a**3,
    "pow_negative_half": lambda a, b: a**-0.5,
    "exp": lambda a, b: a.exp(),
    "log": lambda a, b: a.log(),
    "relu_positive": lambda a, b: a.relu(),
    "relu_negative": lambda a, b: (a - 5.0).relu(),
    "composite": lambda a, b: (a * b + a.exp()).log() / (b**2 + 1.0),
}


def evaluate(op, a, b):
    return op(Value(a), Value(b)).data


@pytest.mark.parametrize("name", OPS)
def test_gradient_matches_finite_difference(name):
    op, a0, b0, h = OPS[name], 1.3, 0.7, 1e-6
    a, b = Value(a0), Value(b0)
    out = op(a, b)
    out.backward()
    numeric_a = (evaluate(op, a0 + h, b0) - evaluate(op, a0 - h, b0)) / (2 * h)
    numeric_b = (evaluate(op, a0, b0 + h) - evaluate(op, a0, b0 - h)) / (2 * h)
    assert a.grad == pytest.approx(numeric_a, rel=1e-6, abs=1e-8)
    assert b.grad == pytest.approx(numeric_b, rel=1e-6, abs=1e-8)


def test_relu_gradient_is_zero_below_zero():
    a = Value(-2.0)
    a.relu().backward()
    assert a.grad == 0.0


def test_gradients_accumulate_over_every_use():
    a = Value(3.0)
    (a * a + a).backward()  # d/da (a^2 + a) = 2a + 1
    assert a.grad == 7.0


def test_deep_graph_needs_no_recursion():
    x = Value(1.0)
    y = x
    for _ in range(5000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == 1.0
    assert len(topological_order(y)) > 10000


def test_exp_and_log_values():
    assert Value(0.0).exp().data == 1.0
    assert Value(math.e).log().data == pytest.approx(1.0)
