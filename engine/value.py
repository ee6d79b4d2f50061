"""A scalar that remembers how it was computed, so gradients can flow back through it.

This is the by-the-book autograd engine: every number in the model is a Value, each
operation records its inputs and the local derivative with respect to each of them, and
backward() applies the chain rule from the loss down to every parameter.
It is slow (tens of thousands of Python objects per step) and that is the point: nothing
is hidden. The fast engine computes the same numbers without building this graph.
"""

import math


class Value:
    __slots__ = ("data", "grad", "_children", "_local_grads")

    def __init__(self, data, children=(), local_grads=()):
        self.data = data
        self.grad = 0.0
        self._children = children  # the Values this one was computed from
        self._local_grads = local_grads  # d(self)/d(child), one per child

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, exponent):
        # d(x^k)/dx = k * x^(k-1); the exponent is a plain number, never a Value
        return Value(self.data**exponent, (self,), (exponent * self.data ** (exponent - 1),))

    def exp(self):
        e = math.exp(self.data)
        return Value(e, (self,), (e,))

    def log(self):
        return Value(math.log(self.data), (self,), (1 / self.data,))

    def relu(self):
        return Value(max(0.0, self.data), (self,), (float(self.data > 0),))

    # Everything else is built from the operations above, as in the reference.
    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other**-1

    def __rtruediv__(self, other):
        return other * self**-1

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    def backward(self):
        """Fill in .grad of every Value this one depends on: d(self)/d(that Value)."""
        order = topological_order(self)
        self.grad = 1.0
        for node in reversed(order):
            for child, local_grad in zip(node._children, node._local_grads):
                child.grad += local_grad * node.grad


def topological_order(root: Value) -> list[Value]:
    """Every Value below root, each after all of its children (depth-first, post-order).

    Written with an explicit stack rather than recursion, because one training step's
    graph is deeper than Python's default recursion limit allows for larger models.
    """
    order, visited = [], set()
    stack = [(root, iter(root._children))]
    visited.add(id(root))
    while stack:
        node, children = stack[-1]
        for child in children:
            if id(child) not in visited:
                visited.add(id(child))
                stack.append((child, iter(child._children)))
                break
        else:
            stack.pop()
            order.append(node)
    return order
