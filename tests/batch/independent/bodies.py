"""Independent exercise1 solutions: function bodies in seven styles (see README.md)."""
from __future__ import annotations

from pathlib import Path

STYLES = {
    "loops": {
        "forward": """\
    hidden = x @ w1
    hidden[hidden < 0] = 0.0
    out = hidden @ w2
    return out
""",
        "loss": """\
    total = 0.0
    diff = y_pred - y
    total += float((diff * diff).sum())
    return total
""",
        "backward": """\
    pre = x @ w1
    act = np.where(pre > 0, pre, 0.0)
    err = 2 * (act @ w2 - y)
    dw2 = act.T @ err
    back = err @ w2.T
    back = back * (pre > 0)
    dw1 = x.T @ back
    return dw1, dw2
""",
        "sgd_update": """\
    new1 = w1 - grad_w1 * lr
    new2 = w2 - grad_w2 * lr
    return new1, new2
""",
        "train": """\
    history = []
    step = 0
    while step < steps:
        current = loss(forward(x, w1, w2), y)
        history.append(current)
        g1, g2 = backward(x, y, w1, w2)
        w1, w2 = sgd_update(w1, w2, g1, g2, learning_rate)
        step += 1
    return w1, w2, history
""",
    },
    "functional": {
        "forward": """\
    relu = lambda z: np.clip(z, 0, None)
    return np.matmul(relu(np.matmul(x, w1)), w2)
""",
        "loss": """\
    return float(np.sum(np.power(np.subtract(y_pred, y), 2)))
""",
        "backward": """\
    z = np.matmul(x, w1)
    a = np.clip(z, 0, None)
    d_out = 2.0 * np.subtract(np.matmul(a, w2), y)
    g_w2 = np.matmul(a.T, d_out)
    d_hidden = np.matmul(d_out, w2.T) * np.heaviside(z, 0.0)
    return np.matmul(x.T, d_hidden), g_w2
""",
        "sgd_update": """\
    return tuple(w - lr * g for w, g in ((w1, grad_w1), (w2, grad_w2)))
""",
        "train": """\
    trace = []
    for _step in range(steps):
        trace.append(loss(forward(x, w1, w2), y))
        w1, w2 = sgd_update(w1, w2, *backward(x, y, w1, w2), lr=learning_rate)
    return w1, w2, trace
""",
    },
    "cached": {
        "forward": """\
    return _layers(x, w1, w2)[-1]
""",
        "loss": """\
    residual = np.asarray(y_pred) - np.asarray(y)
    return float(np.einsum("ij,ij->", residual, residual))
""",
        "backward": """\
    pre, post, pred = _layers(x, w1, w2)
    upstream = (pred - y) * 2.0
    grad2 = np.einsum("nh,no->ho", post, upstream)
    through = np.einsum("no,ho->nh", upstream, w2)
    through[pre <= 0] = 0.0
    grad1 = np.einsum("nd,nh->dh", x, through)
    return grad1, grad2
""",
        "sgd_update": """\
    w1 -= lr * grad_w1
    w2 -= lr * grad_w2
    return w1, w2
""",
        "train": """\
    w1, w2 = w1.copy(), w2.copy()
    recorded = [0.0] * steps
    for i in range(steps):
        recorded[i] = loss(forward(x, w1, w2), y)
        sgd_update(w1, w2, *backward(x, y, w1, w2), learning_rate)
    return w1, w2, recorded
""",
    },
    "matrix": {
        "forward": """\
    layer1 = np.dot(x, w1)
    layer1 = layer1 * (layer1 > 0)
    return np.dot(layer1, w2)
""",
        "loss": """\
    e = (y_pred - y).ravel()
    return float(e @ e)
""",
        "backward": """\
    n1 = np.dot(x, w1)
    mask = (n1 > 0).astype(n1.dtype)
    o1 = n1 * mask
    delta2 = 2 * (np.dot(o1, w2) - y)
    delta1 = np.dot(delta2, w2.T) * mask
    return np.dot(x.T, delta1), np.dot(o1.T, delta2)
""",
        "sgd_update": """\
    step1, step2 = lr * grad_w1, lr * grad_w2
    return w1 - step1, w2 - step2
""",
        "train": """\
    losses = [None] * steps
    t = 0
    for t in range(steps):
        prediction = forward(x, w1, w2)
        losses[t] = loss(prediction, y)
        gradients = backward(x, y, w1, w2)
        w1, w2 = sgd_update(w1, w2, gradients[0], gradients[1], learning_rate)
    return w1, w2, [float(v) for v in losses]
""",
    },
    "verbose": {
        "forward": """\
    n_samples = x.shape[0]
    hidden_units = w1.shape[1]
    hidden_layer = np.zeros((n_samples, hidden_units))
    np.maximum(x @ w1, 0.0, out=hidden_layer)
    predictions = hidden_layer @ w2
    return predictions
""",
        "loss": """\
    squared_errors = (y_pred - y) ** 2
    summed = squared_errors.sum(axis=1).sum(axis=0)
    return float(summed)
""",
        "backward": """\
    hidden_input = x @ w1
    hidden_output = np.maximum(hidden_input, 0.0)
    predictions = hidden_output @ w2
    d_predictions = 2.0 * (predictions - y)
    d_w2 = hidden_output.transpose() @ d_predictions
    d_hidden_output = d_predictions @ w2.transpose()
    d_hidden_input = d_hidden_output.copy()
    d_hidden_input[hidden_input < 0.0] = 0.0
    d_w1 = x.transpose() @ d_hidden_input
    return d_w1, d_w2
""",
        "sgd_update": """\
    updated_w1 = w1 - lr * grad_w1
    updated_w2 = w2 - lr * grad_w2
    return updated_w1, updated_w2
""",
        "train": """\
    loss_history = list()
    for iteration in range(steps):
        predictions = forward(x, w1, w2)
        current_loss = loss(predictions, y)
        loss_history.append(current_loss)
        grad_w1, grad_w2 = backward(x, y, w1, w2)
        w1, w2 = sgd_update(w1, w2, grad_w1, grad_w2, learning_rate)
    return w1, w2, loss_history
""",
    },
    "oop": {
        "forward": """\
    return _Net(w1, w2).run(x)
""",
        "loss": """\
    gap = np.abs(y_pred - y)
    return float(np.sum(gap * gap))
""",
        "backward": """\
    net = _Net(w1, w2)
    net.run(x)
    return net.grads(x, y)
""",
        "sgd_update": """\
    pairs = [(w1, grad_w1), (w2, grad_w2)]
    updated = [weight - lr * grad for weight, grad in pairs]
    return updated[0], updated[1]
""",
        "train": """\
    seen = []
    remaining = steps
    while remaining:
        remaining -= 1
        seen.append(loss(forward(x, w1, w2), y))
        w1, w2 = sgd_update(w1, w2, *backward(x, y, w1, w2), learning_rate)
    return w1, w2, seen
""",
    },
    "compact": {
        "forward": """\
    return (lambda h: (h > 0) * h)(x.dot(w1)).dot(w2)
""",
        "loss": """\
    return float(((y_pred - y) ** 2).sum(axis=None))
""",
        "backward": """\
    h = x.dot(w1); r = h * (h > 0); g = 2 * (r.dot(w2) - y)
    return x.T.dot(g.dot(w2.T) * (h > 0)), r.T.dot(g)
""",
        "sgd_update": """\
    return w1 - lr * grad_w1, w2 - lr * grad_w2
""",
        "train": """\
    out = []
    for _ in range(steps):
        out += [loss(forward(x, w1, w2), y)]
        w1, w2 = sgd_update(w1, w2, *backward(x, y, w1, w2), learning_rate)
    return w1, w2, out
""",
    },
}
HELPERS = {"cached": '''

def _layers(x, w1, w2):
    pre = x @ w1
    post = np.maximum(pre, 0.0)
    return pre, post, post @ w2
''', "oop": '''

class _Net:
    """The two layers, remembering what the backward pass needs."""

    def __init__(self, first, second):
        self.first, self.second = first, second

    def run(self, inputs):
        self.pre = inputs @ self.first
        self.post = np.maximum(self.pre, 0)
        return self.post @ self.second

    def grads(self, inputs, targets):
        delta = 2.0 * (self.post @ self.second - targets)
        hidden = (delta @ self.second.T) * (self.pre > 0)
        return inputs.T @ hidden, self.post.T @ delta
'''}


def make_submission(stub: str, style: str) -> str:
    """The stub with each function's ``raise NotImplementedError`` replaced by ``style``'s body."""
    out = []
    for line in stub.splitlines(keepends=True):
        if "raise NotImplementedError(" in line:
            func = line.split('"')[1].split(":")[0]
            out.append(STYLES[style][func])
        else:
            out.append(line)
    return "".join(out) + HELPERS.get(style, "")


def write(root: Path, stub: str, style: str) -> Path:
    folder = root / "exercises"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "exercise1_numpy_net.py").write_text(make_submission(stub, style), encoding="utf-8")
    return root
