"""The fast engine's inner loops, written out in full for each vector length.

The fast engine spends most of its time in dot products of short vectors: 16 numbers, or
as many as there are positions in a name. Written the obvious way, as inference.linear
writes them,

    [sum_in_order(map(mul, row, x)) for row in rows]

every product is a function call, about 27 ns a number on CPython 3.11. Written out for a
fixed length,

    x0, x1, x2, = x
    [0.0 + w0 * x0 + w1 * x1 + w2 * x2 for w0, w1, w2, in rows]

each product and sum is one bytecode that the interpreter runs on floats directly, about
half the cost. So this module writes such source text once for each kind and size it is
asked for, compiles it with exec, and keeps the function. Each kernel's docstring gives
the plain Python it equals, and kernel_source() shows the text it runs. Past
MAX_WRITTEN_OUT numbers, writing out stops paying, and that plain Python runs instead:
inference's own linear, rmsnorm and softmax where there is one.

Every sum here starts from 0.0 and adds left to right, rounding after each addition, as
the scalar engine's Values do: `0.0 + w0 * x0 + w1 * x1 + ...` is such a sum, and so is
inference.sum_in_order() (see there why never Python's sum()).
"""

import math
from collections.abc import Callable, Sequence
from functools import cache
from operator import mul

from . import inference
from .inference import sum_in_order

Vector = Sequence[float]


def _names(prefix: str, length: int) -> str:
    # the trailing comma keeps a single name a tuple target: "x0, = x" unpacks [x0]
    return ", ".join(f"{prefix}{i}" for i in range(length)) + ","


def _check(*sizes: int) -> None:
    if any(size < 1 for size in sizes):
        raise ValueError(f"kernel sizes must be at least 1, got {sizes}")


def _dots(length: int) -> str:
    products = " + ".join(f"w{i} * x{i}" for i in range(length))
    return (
        f"def dots_{length}(x, rows):\n"
        f"    {_names('x', length)} = x\n"
        f"    return [0.0 + {products} for {_names('w', length)} in rows]\n"
    )


def _add(length: int) -> str:
    return (
        f"def add_{length}(a, b):\n"
        f"    {_names('a', length)} = a\n"
        f"    {_names('b', length)} = b\n"
        f"    return [{', '.join(f'a{i} + b{i}' for i in range(length))}]\n"
    )


def _rmsnorm(length: int) -> str:
    squares = " + ".join(f"x{i} * x{i}" for i in range(length))
    return (
        f"def rmsnorm_{length}(x):\n"
        f"    {_names('x', length)} = x\n"
        f"    mean_square = (0.0 + {squares}) * {length} ** -1\n"
        f"    scale = (mean_square + 1e-5) ** -0.5\n"
        f"    return [{', '.join(f'x{i} * scale' for i in range(length))}], scale\n"
    )


def _rmsnorm_backward(length: int) -> str:
    products = " + ".join(f"g{i} * y{i}" for i in range(length))
    return (
        f"def rmsnorm_backward_{length}(dy, y, scale):\n"
        f"    {_names('g', length)} = dy\n"
        f"    {_names('y', length)} = y\n"
        f"    c = (0.0 + {products}) / {length}\n"
        f"    return [{', '.join(f'scale * (g{i} - y{i} * c)' for i in range(length))}]\n"
    )


def _softmax(length: int) -> str:
    exps = "".join(f"    e{i} = exp(s{i} - top)\n" for i in range(length))
    return (
        f"def softmax_{length}(logits):\n"
        f"    {_names('s', length)} = logits\n"
        f"    top = max(logits)\n"
        f"{exps}"
        f"    inverse_total = (0.0 + {' + '.join(f'e{i}' for i in range(length))}) ** -1\n"
        f"    return [{', '.join(f'e{i} * inverse_total' for i in range(length))}]\n"
    )


def _scatter_axpy(length: int) -> str:
    return (
        f"def scatter_axpy_{length}(rows, indices, coefs, x):\n"
        f"    {_names('x', length)} = x\n"
        f"    for j, c in zip(indices, coefs):\n"
        f"        {_names('a', length)} = rows[j]\n"
        f"        rows[j] = [{', '.join(f'a{i} + c * x{i}' for i in range(length))}]\n"
    )


def _head_dots(n_head: int, head_dim: int) -> str:
    width = n_head * head_dim
    heads = ", ".join(
        "(0.0 + " + " + ".join(f"w{i} * x{i}" for i in range(h * head_dim, (h + 1) * head_dim)) + ") * scale"
        for h in range(n_head)
    )
    return (
        f"def head_dots_{n_head}_{head_dim}(x, rows, scale):\n"
        f"    {_names('x', width)} = x\n"
        f"    return [({heads},) for {_names('w', width)} in rows]\n"
    )


def _head_mix(n_head: int, head_dim: int) -> str:
    width = n_head * head_dim
    sums = "".join(f"        y{i} += c{i // head_dim} * r{i}\n" for i in range(width))
    return (
        f"def head_mix_{n_head}_{head_dim}(rows, weights):\n"
        f"    {' = '.join(f'y{i}' for i in range(width))} = 0.0\n"
        f"    for ({_names('r', width)}), ({_names('c', n_head)}) in zip(rows, weights):\n"
        f"{sums}"
        f"    return [{', '.join(f'y{i}' for i in range(width))}]\n"
    )


def _matmul(inner: int, width: int) -> str:
    b_rows = ", ".join(f"({', '.join(f'b{k}_{j}' for j in range(width))},)" for k in range(inner))
    sums = ", ".join("0.0 + " + " + ".join(f"r{k} * b{k}_{j}" for k in range(inner)) for j in range(width))
    return (
        f"def matmul_{inner}_{width}(rows, b):\n"
        f"    {b_rows}, = b\n"
        f"    return [[{sums}] for {_names('r', inner)} in rows]\n"
    )


_SOURCES = {
    "dots": _dots,
    "add": _add,
    "rmsnorm": _rmsnorm,
    "rmsnorm_backward": _rmsnorm_backward,
    "softmax": _softmax,
    "scatter_axpy": _scatter_axpy,
    "head_dots": _head_dots,
    "head_mix": _head_mix,
    "matmul": _matmul,
}

# Past about this many numbers a written-out kernel stops paying: beyond 256 local names
# each one needs a longer bytecode, compiling takes longer, and at a few thousand terms the
# sums nest too deep for the compiler (RecursionError). Larger sizes (a model far wider
# than the default, or a vocabulary of hundreds of characters) get the plain Python
# instead: the same floats, at the plain speed.
MAX_WRITTEN_OUT = 256


def _plain_add(a, b):
    return [ai + bi for ai, bi in zip(a, b)]


def _plain_rmsnorm(x):
    return inference.rmsnorm(x), inference.rms_scale(x)  # and the scale, which the backward pass needs


def _plain_rmsnorm_backward(dy, y, scale):
    c = sum_in_order(map(mul, dy, y)) / len(y)
    return [scale * (g - yi * c) for g, yi in zip(dy, y)]


def _plain_scatter_axpy(rows, indices, coefs, x):
    for j, c in zip(indices, coefs):
        rows[j] = [a + c * xi for a, xi in zip(rows[j], x)]


def _plain_head_dots(n_head, head_dim):
    def head_dots(x, rows, scale):
        slices = [slice(h * head_dim, (h + 1) * head_dim) for h in range(n_head)]
        return [tuple(sum_in_order(map(mul, row[cut], x[cut])) * scale for cut in slices) for row in rows]

    return head_dots


def _plain_head_mix(n_head, head_dim):
    def head_mix(rows, weights):
        pairs = list(zip(rows, weights))
        return [sum_in_order([w[j // head_dim] * row[j] for row, w in pairs]) for j in range(n_head * head_dim)]

    return head_mix


def _plain_matmul(inner, width):
    over_inner = dots(inner)

    def matmul(rows, b):
        b_columns = list(zip(*b))
        return [over_inner(row, b_columns) for row in rows]

    return matmul


_PLAIN = {
    "dots": lambda length: inference.linear,
    "add": lambda length: _plain_add,
    "rmsnorm": lambda length: _plain_rmsnorm,
    "rmsnorm_backward": lambda length: _plain_rmsnorm_backward,
    "softmax": lambda length: inference.softmax,
    "scatter_axpy": lambda length: _plain_scatter_axpy,
    "head_dots": _plain_head_dots,
    "head_mix": _plain_head_mix,
    "matmul": _plain_matmul,
}


def kernel_source(kind: str, *sizes: int) -> str:
    """The Python source of one kernel, e.g. kernel_source("dots", 3)."""
    if kind not in _SOURCES:
        raise ValueError(f"unknown kernel {kind!r}; the kernels are {', '.join(_SOURCES)}")
    _check(*sizes)
    return _SOURCES[kind](*sizes)


def _kernel(kind: str, *sizes: int) -> Callable:
    if math.prod(sizes) > MAX_WRITTEN_OUT:
        _check(*sizes)
        return _PLAIN[kind](*sizes)
    namespace: dict = {"exp": math.exp}
    exec(kernel_source(kind, *sizes), namespace)
    return namespace[f"{kind}_{'_'.join(map(str, sizes))}"]


# Each kernel is written and compiled once per size; @cache keeps it, and makes looking
# it up again, once per layer and position, cost about a tenth of a microsecond.


@cache
def dots(length: int) -> Callable[[Vector, Sequence[Vector]], list[float]]:
    """dots(length)(x, rows) == inference.linear(x, rows): a linear layer,

    [sum_in_order(map(mul, row, x)) for row in rows]

    Every row and x have `length` numbers; rows may be any iterable of them.
    """
    return _kernel("dots", length)


@cache
def add(length: int) -> Callable[[Vector, Vector], list[float]]:
    """add(length)(a, b) == [ai + bi for ai, bi in zip(a, b)]."""
    return _kernel("add", length)


@cache
def rmsnorm(length: int) -> Callable[[Vector], tuple[list[float], float]]:
    """rmsnorm(length)(x) == (inference.rmsnorm(x), inference.rms_scale(x)): the normalised
    vector, and the scale it was multiplied by, which the backward pass needs."""
    return _kernel("rmsnorm", length)


@cache
def rmsnorm_backward(length: int) -> Callable[[Vector, Vector, float], list[float]]:
    """rmsnorm_backward(length)(dy, y, scale) == [scale * (g - yi * c) for g, yi in zip(dy, y)]
    with c = sum_in_order(map(mul, dy, y)) / len(y)."""
    return _kernel("rmsnorm_backward", length)


@cache
def softmax(length: int) -> Callable[[Vector], list[float]]:
    """softmax(length)(logits) == inference.softmax(logits): the same floats."""
    return _kernel("softmax", length)


@cache
def scatter_axpy(length: int) -> Callable[[list, Sequence[int], Vector, Vector], None]:
    """scatter_axpy(length)(rows, indices, coefs, x) does, in place,

    for j, c in zip(indices, coefs):
        rows[j] = [a + c * xi for a, xi in zip(rows[j], x)]
    """
    return _kernel("scatter_axpy", length)


@cache
def head_dots(n_head: int, head_dim: int) -> Callable[[Vector, Sequence[Vector], float], list[tuple[float, ...]]]:
    """Attention scores for every head at once, for vectors of n_head * head_dim numbers:

    head_dots(n_head, head_dim)(x, rows, scale) == [
        tuple(sum_in_order(map(mul, row[lo:hi], x[lo:hi])) * scale for lo, hi in the heads' slices)
        for row in rows
    ]
    where head h's slice is h * head_dim to (h + 1) * head_dim.
    """
    return _kernel("head_dots", n_head, head_dim)


@cache
def head_mix(n_head: int, head_dim: int) -> Callable[[Sequence[Vector], Sequence[Vector]], list[float]]:
    """Rows mixed with one weight per head: attention's output, sum_t a_t v_t, for all heads.

    head_mix(n_head, head_dim)(rows, weights) == [
        sum_in_order([w[j // head_dim] * row[j] for row, w in zip(rows, weights)])
        for j in range(n_head * head_dim)
    ]
    with weights[t] holding one weight per head for rows[t]. zip() stops at the shorter
    of rows and weights.
    """
    return _kernel("head_mix", n_head, head_dim)


@cache
def matmul(inner: int, width: int) -> Callable[[Sequence[Vector], Sequence[Vector]], list[list[float]]]:
    """Each row times the matrix b, which has `inner` rows of `width` numbers:

    matmul(inner, width)(rows, b) == [
        [sum_in_order([row[k] * b[k][j] for k in range(inner)]) for j in range(width)]
        for row in rows
    ]

    As a matrix product that is rows @ b. It unpacks all of b once and reuses it for every
    row, which is what makes it cheaper than one dots() call per column.
    """
    return _kernel("matmul", inner, width)
