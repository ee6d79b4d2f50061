"""Dot products with their loop written out, which CPython runs about twice as fast.

The fast engine spends most of its time in dot products of short vectors (16 numbers, or
as many as there are positions in a name). Written the obvious way,

    [sum(map(mul, row, x)) for row in rows]

every product is a function call, about 27 ns a number on CPython 3.11. Written out in
full, for a fixed length,

    x0, x1, x2 = x
    [0.0 + w0 * x0 + w1 * x1 + w2 * x2 for w0, w1, w2 in rows]

each product and sum is a single bytecode the interpreter runs on floats directly, about
half the cost. So this module writes such source text once for each length it is asked
for, compiles it with exec, and keeps the function. `kernel_source` shows the text.

The floats are the same as sum()'s on Python 3.11: sum() starts from 0 and adds the
products left to right, which is exactly what `0.0 + w0 * x0 + w1 * x1 + ...` does.
(Python 3.12's sum() compensates rounding errors; the written-out sums still add left to
right, like the scalar engine's Values do.)
"""

from collections.abc import Callable, Sequence

Vector = Sequence[float]

_cache: dict[str, Callable] = {}  # by function name, e.g. "dots_16"


def _names(prefix: str, length: int) -> str:
    # a trailing comma keeps a single name a tuple target: "x0," unpacks a 1-element list
    return ", ".join(f"{prefix}{i}" for i in range(length)) + ","


def kernel_source(kind: str, length: int) -> str:
    """The Python source of one kernel: "dots", "dot" or "axpy" for vectors of `length`."""
    if length < 1:
        raise ValueError(f"vectors must have at least one element, got length {length}")
    if kind == "dots":
        # [sum(map(mul, row, x)) for row in rows]: one dot product per row
        products = " + ".join(f"w{i} * x{i}" for i in range(length))
        return (
            f"def dots_{length}(rows, x):\n"
            f"    {_names('x', length)} = x\n"
            f"    return [0.0 + {products} for {_names('w', length)} in rows]\n"
        )
    if kind == "dot":
        # sum(map(mul, a, b)): a single dot product
        products = " + ".join(f"a{i} * b{i}" for i in range(length))
        return (
            f"def dot_{length}(a, b):\n"
            f"    {_names('a', length)} = a\n"
            f"    {_names('b', length)} = b\n"
            f"    return 0.0 + {products}\n"
        )
    if kind == "pairwise":
        # [sum(map(mul, row, x)) for row, x in zip(rows, xs)]: each row with its own vector
        products = " + ".join(f"w{i} * x{i}" for i in range(length))
        return (
            f"def pairwise_{length}(rows, xs):\n"
            f"    return [0.0 + {products} for ({_names('w', length)}), ({_names('x', length)}) in zip(rows, xs)]\n"
        )
    if kind == "axpy":
        # [a_i + s * x_i for each i]: add s times x to a
        terms = ", ".join(f"a{i} + s * x{i}" for i in range(length))
        return (
            f"def axpy_{length}(a, s, x):\n"
            f"    {_names('a', length)} = a\n"
            f"    {_names('x', length)} = x\n"
            f"    return [{terms}]\n"
        )
    raise ValueError(f"unknown kernel kind {kind!r}")


def head_dots_source(n_head: int, head_dim: int) -> str:
    """The source of head_dots(n_head, head_dim)."""
    width = n_head * head_dim
    if n_head < 1 or head_dim < 1:
        raise ValueError(f"need at least one head of at least one dimension, got {n_head} × {head_dim}")
    # one dot product per head, over that head's slice of the row and of x, then scaled
    heads = ", ".join(
        "(0.0 + " + " + ".join(f"w{i} * x{i}" for i in range(h * head_dim, (h + 1) * head_dim)) + ") * scale"
        for h in range(n_head)
    )
    return (
        f"def head_dots_{n_head}_{head_dim}(rows, x, scale):\n"
        f"    {_names('x', width)} = x\n"
        f"    return [({heads},) for {_names('w', width)} in rows]\n"
    )


def _compile(name: str, source: str) -> Callable:
    if name not in _cache:
        namespace: dict = {}
        exec(source, namespace)
        _cache[name] = namespace[name]
    return _cache[name]


def _kernel(kind: str, length: int) -> Callable:
    name = f"{kind}_{length}"
    return _cache.get(name) or _compile(name, kernel_source(kind, length))


def dots(length: int) -> Callable[[Sequence[Vector], Vector], list[float]]:
    """dots(length)(rows, x) == [sum(map(mul, row, x)) for row in rows], every row of `length`."""
    return _kernel("dots", length)


def dot(length: int) -> Callable[[Vector, Vector], float]:
    """dot(length)(a, b) == sum(map(mul, a, b)) for two vectors of `length`."""
    return _kernel("dot", length)


def pairwise(length: int) -> Callable[[Sequence[Vector], Sequence[Vector]], list[float]]:
    """pairwise(length)(rows, xs) == [sum(map(mul, row, x)) for row, x in zip(rows, xs)]."""
    return _kernel("pairwise", length)


def axpy(length: int) -> Callable[[Vector, float, Vector], list[float]]:
    """axpy(length)(a, s, x) == [ai + s * xi for ai, xi in zip(a, x)]."""
    return _kernel("axpy", length)


def head_dots(n_head: int, head_dim: int) -> Callable[[Sequence[Vector], Vector, float], list[tuple[float, ...]]]:
    """Attention scores of every head at once, for vectors of n_head * head_dim.

    head_dots(n_head, head_dim)(rows, x, scale)[t][h] ==
        sum(map(mul, rows[t][lo:hi], x[lo:hi])) * scale,  lo, hi = h * head_dim, (h + 1) * head_dim
    """
    name = f"head_dots_{n_head}_{head_dim}"
    return _cache.get(name) or _compile(name, head_dots_source(n_head, head_dim))


def head_mix_source(n_head: int, head_dim: int) -> str:
    """The source of head_mix(n_head, head_dim)."""
    width = n_head * head_dim
    if n_head < 1 or head_dim < 1:
        raise ValueError(f"need at least one head of at least one dimension, got {n_head} × {head_dim}")
    sums = "\n".join(f"        y{i} += c{i // head_dim} * r{i}" for i in range(width))
    return (
        f"def head_mix_{n_head}_{head_dim}(rows, weights):\n"
        f"    {' = '.join(f'y{i}' for i in range(width))} = 0.0\n"
        f"    for ({_names('r', width)}), ({_names('c', n_head)}) in zip(rows, weights):\n"
        f"{sums}\n"
        f"    return [{', '.join(f'y{i}' for i in range(width))}]\n"
    )


def head_mix(n_head: int, head_dim: int) -> Callable[[Sequence[Vector], Sequence[Vector]], list[float]]:
    """Rows mixed with one weight per head: attention's output, sum_t a_t v_t, for all heads.

    head_mix(n_head, head_dim)(rows, weights)[j] ==
        sum([w[j // head_dim] * row[j] for row, w in zip(rows, weights)])
    with weights[t] holding one weight per head for row t. The sum runs over t from 0.0, in
    order, as sum() does; zip stops at the shorter of rows and weights.
    """
    name = f"head_mix_{n_head}_{head_dim}"
    return _cache.get(name) or _compile(name, head_mix_source(n_head, head_dim))
