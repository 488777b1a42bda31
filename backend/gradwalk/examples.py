"""Curated examples for the expression editor: a title, a one-line lesson and the source.

Served by GET /api/v1/examples (docs/api.md, Listings): the lecture's L graph, the
tanh neuron checked against PyTorch, tanh built from exp, micrograd's test_engine
expressions, plus a few that each show one thing about backpropagation, and the
"What goes wrong" gallery (ids "wrong-..."): vanishing and exploding gradients, a dead
ReLU, a saturated tanh, each with the numbers that show the failure in its lesson.
tests/golden/examples.json holds PyTorch's grads for each (tests/oracles/make_examples_golden.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .programs import examples as programs


@dataclass(frozen=True)
class Example:
    id: str
    title: str
    lesson: str
    source: str
    language: str = "expression"  # "python": a program for POST /api/v1/python

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


EXAMPLES: tuple[Example, ...] = (
    Example(
        "lecture-L",
        "The lecture's first graph: L = (a*b + c) * f",
        "Multiplication routes the upstream gradient through the other operand: dL/da = b * dL/de.",
        "a = Value(2.0, label='a')\n"
        "b = Value(-3.0, label='b')\n"
        "c = Value(10.0, label='c')\n"
        "e = a*b; e.label = 'e'\n"
        "d = e + c; d.label = 'd'\n"
        "f = Value(-2.0, label='f')\n"
        "L = d * f; L.label = 'L'\n",
    ),
    Example(
        "neuron-tanh",
        "A neuron: o = tanh(x1*w1 + x2*w2 + b)",
        "tanh'(n) = 1 - o**2 = 0.5 here, so every input's grad is half of what the sum alone would give.",
        "x1 = Value(2.0, label='x1')\n"
        "x2 = Value(0.0, label='x2')\n"
        "w1 = Value(-3.0, label='w1')\n"
        "w2 = Value(1.0, label='w2')\n"
        "b = Value(6.8813735870195432, label='b')\n"
        "x1w1 = x1*w1; x1w1.label = 'x1*w1'\n"
        "x2w2 = x2*w2; x2w2.label = 'x2*w2'\n"
        "x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'\n"
        "n = x1w1x2w2 + b; n.label = 'n'\n"
        "o = n.tanh(); o.label = 'o'\n"
        "o.backward()\n",
    ),
    Example(
        "neuron-tanh-from-exp",
        "The same neuron, tanh built from exp",
        "Breaking tanh into exp, -, +, / gives more nodes but exactly the same grads: the chain rule composes.",
        "x1 = Value(2.0, label='x1')\n"
        "x2 = Value(0.0, label='x2')\n"
        "w1 = Value(-3.0, label='w1')\n"
        "w2 = Value(1.0, label='w2')\n"
        "b = Value(6.8813735870195432, label='b')\n"
        "n = x1*w1 + x2*w2 + b; n.label = 'n'\n"
        "e = (2*n).exp(); e.label = 'e'\n"
        "o = (e - 1) / (e + 1); o.label = 'o'\n"
        "o.backward()\n",
    ),
    Example(
        "neuron-seed-000",
        "A neuron from the first seed: tanh(x1*w1 + x2*w2 + b)",
        "Here n = 7.8, so tanh is saturated: o is almost 1 and the grads are tiny.",
        "x1 = Value(1.0)\nx2 = Value(2.0)\nw1 = Value(6.0)\nw2 = Value(-4.0)\nb = Value(9.8)\n"
        "x1w1 = x1*w1\nx2w2 = x2*w2\nx1w1x2w2 = x1w1 + x2w2\nn = x1w1x2w2 + b\no = n.tanh()\n",
    ),
    Example(
        "tanh-of-x",
        "tanh(x) written out: ((x*2).exp() - 1) / ((x*2).exp() + 1)",
        "Two exp branches meet again in the division; their gradients add up at x.",
        "x = Value(2.0, label='x')\no = ((x*2).exp() - 1) / ((x*2).exp() + 1)\n",
    ),
    Example(
        "micrograd-sanity-check",
        "micrograd's test_sanity_check",
        "x is used in many places: its grad is the sum over every path to y (46 here).",
        "x = Value(-4.0)\nz = 2 * x + 2 + x\nq = z.relu() + z * x\n"
        "h = (z * z).relu()\ny = h + q + q * x\ny.backward()\n",
    ),
    Example(
        "micrograd-more-ops",
        "micrograd's test_more_ops",
        "Augmented assignments (c += ...) build new nodes; relu passes a gradient only where its input is positive.",
        "a = Value(-4.0)\nb = Value(2.0)\nc = a + b\nd = a * b + b**3\n"
        "c += c + 1\nc += 1 + c + (-a)\nd += d * 2 + (b + a).relu()\nd += 3 * d + (b - a).relu()\n"
        "e = c - d\nf = e**2\ng = f / 2.0\ng += 10.0 / f\ng.backward()\n",
    ),
    Example(
        "fan-out-square",
        "Fan-out: a*a",
        "One value used twice gets two gradient contributions that add: d(a*a)/da = a + a = 2a.",
        "a = 3.0\nL = a*a\n",
    ),
    Example(
        "fan-out-sum",
        "Fan-out: b = a + a",
        "micrograd's famous bug: with = instead of += the grad of a would be 1, not 2.",
        "a = Value(3.0, label='a')\nb = a + a; b.label = 'b'\nb.backward()\n",
    ),
    Example(
        "saturation",
        "Saturation: tanh(10)",
        "tanh is flat far from 0: 1 - tanh(10)**2 is about 8e-9, so almost no gradient gets through.",
        "x = 10.0\ny = tanh(x)\n",
    ),
    Example(
        "derivative-f",
        "f(x) = 3*x**2 - 4*x + 5 at x = 3",
        "The derivative 6x - 4 = 14 is what finite differences approach in the lecture.",
        "x = 3.0\nf = 3*x**2 - 4*x + 5\n",
    ),
    Example(
        "precedence",
        "Python's precedence: -a**2 and a**b**c",
        "-a**2 is -(a**2) and a**b**c is a**(b**c); a named exponent gets a gradient, a literal one does not.",
        "a = 2.0\nb = 3.0\nc = 0.5\nk = -a**2 + a**b**c\n",
    ),
    Example(
        "overflow",
        "Overflow: exp(1000) is Infinity",
        "A double tops out near 1.8e308: exp(1000) and its gradient are Infinity, and a warning says where it began.",
        "x = 1000.0\ny = exp(x)\n",
    ),
    # ---------------------------------------------------------------- What goes wrong
    # The gallery of issue 14, expression-language part: each example shows, in its graph's
    # numbers, one way training fails. Ids start with "wrong-", titles with "What goes wrong:".
    Example(
        "wrong-vanishing-sigmoid",
        "What goes wrong: vanishing gradients in a deep sigmoid chain",
        "Each sigmoid multiplies the gradient by its slope s*(1 - s), at most 0.25 (0.22 here): ten layers down,"
        " x.grad is 2.8e-7 while h10's is 1, so the first layers of a deep sigmoid net barely learn.",
        "# ten sigmoid layers, one after another\n"
        "x = 1.0\n"
        "h1 = sigmoid(x)\n"
        "h2 = sigmoid(h1)\n"
        "h3 = sigmoid(h2)\n"
        "h4 = sigmoid(h3)\n"
        "h5 = sigmoid(h4)\n"
        "h6 = sigmoid(h5)\n"
        "h7 = sigmoid(h6)\n"
        "h8 = sigmoid(h7)\n"
        "h9 = sigmoid(h8)\n"
        "h10 = sigmoid(h9)\n"
        "L = h10\n",
    ),
    Example(
        "wrong-exploding-chain",
        "What goes wrong: exploding gradients in a deep chain with weight 2",
        "Each layer multiplies the gradient by its weight 2: twenty layers down, x.grad is 2**20 = 1,048,576, and w,"
        " used by every layer, collects 20 * 2**19 = 10,485,760: one SGD step with learning rate 0.01 moves it by"
        " about 100,000.",
        "# twenty layers h = w*h with the same weight w = 2\n"
        "x = 1.0\n"
        "w = 2.0\n"
        "h1 = w*x\n"
        "h2 = w*h1\n"
        "h3 = w*h2\n"
        "h4 = w*h3\n"
        "h5 = w*h4\n"
        "h6 = w*h5\n"
        "h7 = w*h6\n"
        "h8 = w*h7\n"
        "h9 = w*h8\n"
        "h10 = w*h9\n"
        "h11 = w*h10\n"
        "h12 = w*h11\n"
        "h13 = w*h12\n"
        "h14 = w*h13\n"
        "h15 = w*h14\n"
        "h16 = w*h15\n"
        "h17 = w*h16\n"
        "h18 = w*h17\n"
        "h19 = w*h18\n"
        "h20 = w*h19\n"
        "L = h20\n",
    ),
    Example(
        "wrong-dead-relu",
        "What goes wrong: a dead ReLU",
        "n = -6 is negative, so relu outputs 0 and passes no gradient: the loss is 1 and o.grad is -2, yet every"
        " weight's, bias's and input's grad is 0. The neuron is dead: gradient descent cannot revive it.",
        "# a relu neuron whose weighted sum n is negative; the target is 1\n"
        "x1 = 2.0; x2 = -1.0\n"
        "w1 = -3.0; w2 = 1.0; b = 1.0\n"
        "n = x1*w1 + x2*w2 + b\n"
        "o = relu(n)\n"
        "L = (o - 1)**2\n",
    ),
    Example(
        "wrong-tanh-saturated",
        "What goes wrong: a saturated tanh neuron",
        "n = 11 saturates tanh (1 - o**2 is 1.1e-9): the loss is almost 4 (o is 1, the target -1) and o.grad is 4,"
        " yet w.grad is only 8.9e-9, so the step that should fix the biggest error hardly moves w.",
        "# a tanh neuron with a large weighted sum n; the target is -1\n"
        "x = 2.0; w = 5.0; b = 1.0\n"
        "n = w*x + b\n"
        "o = tanh(n)\n"
        "L = (o + 1)**2\n",
    ),
    # ---------------------------------------------------------------- end of What goes wrong
)

# Python programs: the seeds' code as users paste it, run in the sandbox (docs/api.md, Python programs).
PROGRAM_EXAMPLES: tuple[Example, ...] = (
    Example(
        "lecture-training-loop",
        "The lecture's MLP, trained for 20 steps (your own Value)",
        "The console prints the loss falling from 6.0 to 0.018; step through the final loss's backward pass, "
        "closure by closure.",
        programs.LECTURE_VALUE + programs.LECTURE_NN + programs.LECTURE_LOOP,
        "python",
    ),
    Example(
        "find-the-bug",
        "Find the bug: seed 002's cell [55]",
        "a.grad stays 0 but the chain rule says -3: one `_backward` is attached in the wrong place. "
        "Click the red node.",
        programs.SEED002_FIND_THE_BUG,
        "python",
    ),
    Example(
        "manual-backward",
        "Backward by hand: e._backward(), then d._backward()",
        "seed 001 calls each node's `_backward` itself; flip through the pictures its three draw_dot calls took.",
        programs.SEED001_MANUAL,
        "python",
    ),
    Example(
        "nudge-along-grad",
        "Nudge every input along its grad: L rises",
        "seed 002 moves a, b, c, d by 0.01 × grad and L goes from 4.0 to 4.1394: a step of gradient ascent.",
        programs.SEED002_NUDGE,
        "python",
    ),
    Example(
        "wrong-sign-learning-rate",
        "Training that makes the loss worse (seed 001)",
        "The printed loss rises: p.data += -learning_rate * p.grad with learning_rate = -0.1 climbs the gradient.",
        programs.LECTURE_VALUE + programs.LECTURE_NN + programs.SEED001_TRAIN,
        "python",
    ),
    Example(
        "backward-twice",
        "backward() twice without zeroing",
        "Grads accumulate with +=: a training loop's second step builds a new graph on the same leaves, and "
        "without zeroing them every leaf grad doubles (a.grad 6 -> 12), as in PyTorch. Compare the two pictures; "
        "zero_grad() before each backward fixes it.",
        programs.BACKWARD_TWICE,
        "python",
    ),
)

# GET /api/v1/examples: the expressions, then the programs
LISTING: tuple[Example, ...] = EXAMPLES + PROGRAM_EXAMPLES
