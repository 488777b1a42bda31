"""Python source that runs INSIDE the sandbox, never in the server's interpreter.

`PRELUDE` is the session's first feed: micrograd 0.1.0's `Value` (plus `label=`, and
the lecture's `tanh`/`exp`/`log`), `Module`/`Neuron`/`Layer`/`MLP` written without
inheritance (the sandbox has none yet) but drawing `random.uniform(-1, 1)` in
micrograd's order, the micrograd module namespaces the import rewriting points at
(gradwalk.programs.source), and a `draw_dot` that records a snapshot.

`EXTRACT` is appended to the program (same feed, after its last line): it picks the
output, walks its graph iteratively in micrograd's topological order, zeroes the
grads, seeds the output with 1 and calls every node's own `_backward()` once in
reverse order, recording each grad change. It returns plain lists (no objects).
"""

from __future__ import annotations

PRELUDE = r'''
import math
import random

class Value:
    """ stores a single scalar value and its gradient """

    def __init__(self, data, _children=(), _op='', label=''):
        self.data = data
        self.grad = 0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op
        self.label = label

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), '+')

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward

        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), '*')

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward

        return out

    def __pow__(self, other):
        assert isinstance(other, (int, float)), "only supporting int/float powers for now"
        out = Value(self.data**other, (self,), f'**{other}')

        def _backward():
            self.grad += (other * self.data**(other-1)) * out.grad
        out._backward = _backward

        return out

    def relu(self):
        out = Value(0 if self.data < 0 else self.data, (self,), 'ReLU')

        def _backward():
            self.grad += (out.data > 0) * out.grad
        out._backward = _backward

        return out

    def tanh(self):
        x = self.data
        t = (math.exp(2*x) - 1)/(math.exp(2*x) + 1)
        out = Value(t, (self,), 'tanh')

        def _backward():
            self.grad += (1 - t**2) * out.grad
        out._backward = _backward

        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,), 'exp')

        def _backward():
            self.grad += out.data * out.grad
        out._backward = _backward

        return out

    def log(self):
        out = Value(math.log(self.data), (self,), 'log')

        def _backward():
            self.grad += (1 / self.data) * out.grad
        out._backward = _backward

        return out

    def backward(self):
        topo = []
        visited = set()
        stack = [[self, list(self._prev), 0]]
        visited.add(self)
        while stack:
            top = stack[-1]
            if top[2] < len(top[1]):
                child = top[1][top[2]]
                top[2] += 1
                if child not in visited:
                    visited.add(child)
                    stack.append([child, list(child._prev), 0])
            else:
                stack.pop()
                topo.append(top[0])

        self.grad = 1
        for v in reversed(topo):
            v._backward()

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

class Module:

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0

    def parameters(self):
        return []

class Neuron:

    def __init__(self, nin, nonlin=True):
        self.w = [Value(random.uniform(-1,1)) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = nonlin

    def __call__(self, x):
        act = sum((wi*xi for wi,xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0

    def parameters(self):
        return self.w + [self.b]

    def __repr__(self):
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"

class Layer:

    def __init__(self, nin, nout, **kwargs):
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x):
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self):
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"

class MLP:

    def __init__(self, nin, nouts):
        sz = [nin] + nouts
        self.layers = [Layer(sz[i], sz[i+1], nonlin=i!=len(nouts)-1) for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self):
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"

class _gw_Namespace:
    def __init__(self, name):
        self.__name__ = name

_gw_Value = Value
_gw_draws = []

def _gw_children(v):
    for name in ('_prev', '_children', '_previous', '_previously', '_previuosly'):
        if hasattr(v, name):
            return list(getattr(v, name))
    return []

def _gw_is_value(v):
    if isinstance(v, (int, float, str, bool, list, tuple, dict, set)) or v is None:
        return False
    return hasattr(v, 'data') and hasattr(v, 'grad')

def _gw_num(x):
    try:
        return float(x)
    except Exception:
        return float('nan')

def _gw_record(root):
    """Records the picture the lecture shows here: every node's data and grad now."""
    if not _gw_is_value(root):
        return None
    seen = {}
    stack = [root]
    seen[id(root)] = (_gw_num(root.data), _gw_num(root.grad))
    while stack:
        v = stack.pop()
        for c in _gw_children(v):
            if id(c) not in seen:
                seen[id(c)] = (_gw_num(c.data), _gw_num(c.grad))
                stack.append(c)
    _gw_draws.append([root, seen])
    return None

def draw_dot(root, format='svg', rankdir='LR'):
    """micrograd's draw_dot: gradwalk draws the graph (the call records a snapshot)."""
    return None

_gw_prelude_draw_dot = draw_dot

def _gw_draw(*args, **kwargs):
    """Every `draw_dot(...)` call of the program, renamed: a snapshot, then the draw_dot in scope."""
    _gw_record(args[0] if args else kwargs.get('root'))
    return draw_dot(*args, **kwargs)

_gw_mod_micrograd_engine = _gw_Namespace('micrograd.engine')
_gw_mod_micrograd_engine.Value = Value
_gw_mod_micrograd_nn = _gw_Namespace('micrograd.nn')
_gw_mod_micrograd_nn.Value = Value
_gw_mod_micrograd_nn.Module = Module
_gw_mod_micrograd_nn.Neuron = Neuron
_gw_mod_micrograd_nn.Layer = Layer
_gw_mod_micrograd_nn.MLP = MLP
_gw_mod_micrograd_nn.random = random
class _gw_Digraph:
    """graphviz.Digraph as the lecture's draw_dot uses it: it records nothing, gradwalk draws the graph."""

    def __init__(self, *args, **kwargs):
        self.body = []

    def node(self, *args, **kwargs):
        return None

    def edge(self, *args, **kwargs):
        return None

    def attr(self, *args, **kwargs):
        return None

    def render(self, *args, **kwargs):
        return None

    def pipe(self, *args, **kwargs):
        return b''

    def _repr_svg_(self):
        return ''

_gw_mod_graphviz = _gw_Namespace('graphviz')
_gw_mod_graphviz.Digraph = _gw_Digraph
_gw_mod_graphviz.Graph = _gw_Digraph
_gw_mod_micrograd = _gw_Namespace('micrograd')
_gw_mod_micrograd.engine = _gw_mod_micrograd_engine
_gw_mod_micrograd.nn = _gw_mod_micrograd_nn
'''

# Appended to the program on a new line. `{pick}` is filled by gradwalk.programs.source with
# a try/except per candidate output name; `{max_nodes}` is the node limit.
EXTRACT = r"""
def _gw_cands():
    found = []
{pick}
    return found

def _gw_extract():
    cands = _gw_cands()
    root = None
    name = None
    if {requested}:
        if len(cands) == 0:
            return ['no-output', {requested_name}, 'undefined']
        name = cands[0][0]
        root = cands[0][1]
    elif len(_gw_draws) > 0:
        root = _gw_draws[-1][0]
        for c in cands:
            if c[1] is root:
                name = c[0]
                break
    else:
        for c in cands:
            if _gw_is_value(c[1]):
                name = c[0]
                root = c[1]
                break
        if root is None:
            return ['no-output', None, 'none']
    if not _gw_is_value(root):
        return ['not-value', name, type(root).__name__]
    topo = []
    kids_obj = []
    index = {{}}
    stack = [[root, _gw_children(root), 0]]
    index[id(root)] = -1
    count = 1
    while stack:
        top = stack[-1]
        ch = top[1]
        if top[2] < len(ch):
            c = ch[top[2]]
            top[2] += 1
            if id(c) not in index:
                index[id(c)] = -1
                count += 1
                if count > {max_nodes}:
                    return ['too-many', count]
                stack.append([c, _gw_children(c), 0])
        else:
            stack.pop()
            index[id(top[0])] = len(topo)
            topo.append(top[0])
            kids_obj.append(ch)
    kids = [[index[id(c)] for c in ch] for ch in kids_obj]
    data = [v.data if type(v.data) is float else _gw_num(v.data) for v in topo]
    before = [v.grad if type(v.grad) is float else _gw_num(v.grad) for v in topo]
    ops = []
    labels = []
    for v in topo:
        op = getattr(v, '_op', None)
        if op is None:
            op = getattr(v, '_operation', getattr(v, '_operations', ''))
        ops.append(op if type(op) is str else str(op))
        lab = getattr(v, 'label', '')
        labels.append(lab if type(lab) is str else str(lab))
    for v in topo:
        v.grad = 0.0
    root.grad = 1.0
    s_node = []
    s_grad = []
    s_count = []
    u_node = []
    u_delta = []
    u_grad = []
    k = len(topo) - 1
    while k >= 0:
        v = topo[k]
        watch = []
        for j in kids[k]:
            if j not in watch:
                watch.append(j)
        if k not in watch:
            watch.append(k)
        old = [topo[j].grad for j in watch]
        g0 = v.grad
        s_node.append(k)
        s_grad.append(g0 if type(g0) is float else _gw_num(g0))
        if hasattr(v, '_backward'):
            v._backward()
        n_up = 0
        for i in range(len(watch)):
            g = topo[watch[i]].grad
            if g != old[i]:
                g = g if type(g) is float else _gw_num(g)
                o = old[i] if type(old[i]) is float else _gw_num(old[i])
                u_node.append(watch[i])
                u_delta.append(g - o)
                u_grad.append(g)
                n_up += 1
        s_count.append(n_up)
        k -= 1
    grad = [v.grad if type(v.grad) is float else _gw_num(v.grad) for v in topo]
    kid_count = [len(ch) for ch in kids]
    kid_flat = [j for ch in kids for j in ch]
    snaps = []
    for d in _gw_draws:
        ids = d[1]
        sd = []
        for j in range(len(topo)):
            t = ids.get(id(topo[j]))
            if t is not None:
                sd.append([j, t[0], t[1]])
        snaps.append([index.get(id(d[0]), -1), sd])
    engine = 'gradwalk' if type(root) is _gw_Value else 'program'
    return ['ok', name, engine, data, grad, before, ops, labels, [kid_count, kid_flat],
            [s_node, s_grad, s_count, u_node, u_delta, u_grad], snaps]

_gw_extract()
"""
