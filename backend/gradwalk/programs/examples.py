"""Python programs for the examples menu (docs/api.md, Listings): the seeds' own code as users paste it.

Each runs in the sandbox through POST /api/v1/python; tests/test_python_programs.py runs every
one and checks what its lesson says.
"""

from __future__ import annotations

from pathlib import Path

# The lecture's Value (micrograd lecture, final form): + * ** tanh exp, numbers on either side.
LECTURE_VALUE = '''import math
import random


class Value:

  def __init__(self, data, _children=(), _op='', label=''):
    self.data = data
    self.grad = 0.0
    self._backward = lambda: None
    self._prev = set(_children)
    self._op = _op
    self.label = label

  def __repr__(self):
    return f"Value(data={self.data})"

  def __add__(self, other):
    other = other if isinstance(other, Value) else Value(other)
    out = Value(self.data + other.data, (self, other), '+')

    def _backward():
      self.grad += 1.0 * out.grad
      other.grad += 1.0 * out.grad
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
        self.grad += other * (self.data ** (other - 1)) * out.grad
    out._backward = _backward

    return out

  def __rmul__(self, other): # other * self
    return self * other

  def __truediv__(self, other): # self / other
    return self * other**-1

  def __neg__(self): # -self
    return self * -1

  def __sub__(self, other): # self - other
    return self + (-other)

  def __radd__(self, other): # other + self
    return self + other

  def tanh(self):
    x = self.data
    t = (math.exp(2*x) - 1)/(math.exp(2*x) + 1)
    out = Value(t, (self, ), 'tanh')

    def _backward():
      self.grad += (1 - t**2) * out.grad
    out._backward = _backward

    return out

  def exp(self):
    x = self.data
    out = Value(math.exp(x), (self, ), 'exp')

    def _backward():
      self.grad += out.data * out.grad
    out._backward = _backward

    return out

  def backward(self):

    topo = []
    visited = set()
    def build_topo(v):
      if v not in visited:
        visited.add(v)
        for child in v._prev:
          build_topo(child)
        topo.append(v)
    build_topo(self)

    self.grad = 1.0
    for node in reversed(topo):
      node._backward()
'''

LECTURE_NN = '''

class Neuron:

  def __init__(self, nin):
    self.w = [Value(random.uniform(-1,1)) for _ in range(nin)]
    self.b = Value(random.uniform(-1,1))

  def __call__(self, x):
    # w * x + b
    act = sum((wi*xi for wi, xi in zip(self.w, x)), self.b)
    out = act.tanh()
    return out

  def parameters(self):
    return self.w + [self.b]

class Layer:

  def __init__(self, nin, nout):
    self.neurons = [Neuron(nin) for _ in range(nout)]

  def __call__(self, x):
    outs = [n(x) for n in self.neurons]
    return outs[0] if len(outs) == 1 else outs

  def parameters(self):
    return [p for neuron in self.neurons for p in neuron.parameters()]

class MLP:

  def __init__(self, nin, nouts):
    sz = [nin] + nouts
    self.layers = [Layer(sz[i], sz[i+1]) for i in range(len(nouts))]

  def __call__(self, x):
    for layer in self.layers:
      x = layer(x)
    return x

  def parameters(self):
    return [p for layer in self.layers for p in layer.parameters()]

random.seed(1337)  # added: the same weights on every run
n = MLP(3, [4, 4, 1])

xs = [
  [2.0, 3.0, -1.0],
  [3.0, -1.0, 0.5],
  [0.5, 1.0, 1.0],
  [1.0, 1.0, -1.0],
]
ys = [1.0, -1.0, -1.0, 1.0] # desired targets
'''

LECTURE_LOOP = '''
for k in range(20):

  # forward pass
  ypred = [n(x) for x in xs]
  loss = sum((yout - ygt)**2 for ygt, yout in zip(ys, ypred))

  # backward pass
  for p in n.parameters():
    p.grad = 0.0
  loss.backward()

  # update
  for p in n.parameters():
    p.data += -0.1 * p.grad

  print(k, loss.data)
'''

# seed 001's training function, as-is: `+= -learning_rate * grad` with learning_rate=-0.1
SEED001_TRAIN = """

def train(n, episodes=20, learning_rate=-0.1):
    '''
    n: the neural network
    episodes: the times of the training
    learning_rate: the step size of each gradient descent step
    '''
    for k in range(episodes):
        # forward pass
        ypred = [n(x) for x in xs]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))  # The loss function is simply the MSE loss.
        # backward pass
        # n.zero_grad()
        for p in n.parameters():
            p.grad = 0.0
        loss.backward()
        # update
        for p in n.parameters():
            p.data += -learning_rate * p.grad
        print(k, loss.data)

train(n)

# added: the loss after training, to look at
ypred = [n(x) for x in xs]
loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
loss.backward()
"""

# seed 001's graph helpers and its manual backward cells, each followed by its draw_dot
SEED001_MANUAL = '''from graphviz import Digraph

def trace(root):
  # builds a set of all nodes and edges in a graph
  nodes, edges = set(), set()

  # USE DFS to get all the nodes and edges
  def build(v):
    if v not in nodes:
      nodes.add(v)
      for child in v._prev:
        edges.add((child, v))
        build(child)
  build(root)
  return nodes, edges

def draw_dot(root):
  dot = Digraph(format='svg', graph_attr={'rankdir': 'LR'}) # LR = left to right

  nodes, edges = trace(root)
  for n in nodes:
    uid = str(id(n))
    # for any value in the graph, create a rectangular ('record') node for it
    dot.node(name = uid, label = "{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad), shape='record')
    if n._op:
      # if this value is a result of some operation, create an op node for it
      dot.node(name = uid + n._op, label = n._op)
      # and connect the op node to the node.
      dot.edge(uid + n._op, uid)

  for n1, n2 in edges:
    # connect n1 to the op node of n2, instead of n2.
    dot.edge(str(id(n1)), str(id(n2)) + n2._op)

  return dot

class Value:
    def __init__(self, data, _children=(), _op='', label=''):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op
        self.label = label
    def __repr__(self):
        return f"Value(data={self.data})"

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other) # Wrap the other operand to be `Value`
        out = Value(self.data + other.data, (self, other), '+')

        def _backward():
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other) # Wrap the other operand to be `Value`
        out = Value(self.data * other.data, (self, other), '*')

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward

        return out
    pass

a = Value(3, label='a')
b = Value(-2, label='b')
c = Value(1, label='c')
d = a+b; d.label='d'
e = c * d; e.label='e'
draw_dot(e)

e.grad = 1.0 # The last node should have gradient = 1.0
e._backward()
draw_dot(e)

d._backward()
draw_dot(e)
'''

_SEEDS = Path(__file__).parent / "seeds"

# seed 002's cell [55] as-is (its `mul` attaches `_backward` inside `_backward`) and its next cell
SEED002_FIND_THE_BUG = (_SEEDS / "seed002_cell55.txt").read_text().split("\n", 1)[1] + "L.backward()\n"

# seed 002's graph helpers (cell [5]), with graphviz
SEED002_DRAW_DOT = (_SEEDS / "seed002_draw_dot.txt").read_text().split("\n", 1)[1]

# seed 002's corrected `mul` (its later cell), the graph, then its nudge cell: each value moves along its grad
SEED002_NUDGE = (
    SEED002_FIND_THE_BUG.replace(
        "        other.grad += self.data * out.grad\n            out._backward = _backward\n",
        "        other.grad += self.data * out.grad\n\n        out._backward = _backward\n",
    )
    + SEED002_DRAW_DOT
    + """
draw_dot(L)

step = 0.01
for v in [a, b, c, d]:
    v.data += step * v.grad

d = a * b
L = c + d
print(f"{L.data:.4f}")
L.backward()
draw_dot(L)
"""
)

BACKWARD_TWICE = LECTURE_VALUE + '''
a = Value(2.0, label='a')
b = Value(-3.0, label='b')
c = Value(10.0, label='c')
f = Value(-2.0, label='f')

def forward():
    e = a*b; e.label = 'e'
    d = e + c; d.label = 'd'
    L = d * f; L.label = 'L'
    return L

L = forward()
L.backward()
draw_dot(L)
print("after one step:  a.grad =", a.grad)
L = forward()   # the next step of a training loop: a new graph on the same leaves
L.backward()    # ...but nobody set the leaves' grads back to 0 first
draw_dot(L)
print("after two steps: a.grad =", a.grad)
'''
