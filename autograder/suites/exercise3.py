"""exercise3 — custom layers, parameters, initialisation, sharing, save/load.

100 points.  Every student object is built and kept in the worker; the checks drive it
through ``Handle`` (weights, inputs and upstream gradients go in;
outputs, names, shapes, values and gradients come back as plain data).

Statistical checks (the init functions) use one large layer, Linear(512, 256), so n = 131,072
weights, and accept a statistic when it lies within 6 standard deviations of its expected
value under the specified distribution (normal approximation; the small Linear(256, 8) layer's
mean and variance are tested the same way at n = 2,048; FixedHiddenMLP's rand_weight, uniform
on [0, 1), at n = 1,200).  A correct implementation fails one such test with probability
≈ 2.0e-9 (two-sided 6σ); the suite runs 15 of them, so the designed false-fail probability is
about 3e-8 per run, and below 1e-7 allowing for the approximation's
error in the tails.  Exact checks (constants, zeros, bounds) have no false fails.  The worker seeds torch
with the check's seed before every request, so each verdict is also deterministic given the
seed.
"""
import ast
import dataclasses
import math

import numpy as np
import torch
from torch import nn

from autograder.checks import (_, CheckFailed, Handle, Mistake, TensorValue, accelerators, as_value, check,
                               check_device, check_gradient, describe_type, expect, nn_layer, note_method, odict, oracle,
                               randn, read_state_file, weighted_sum, within)

DATA_HINT = _("`.data` (or `.detach()`) in forward cuts the autograd graph, so no gradient reaches the "
              "parameters: compute `torch.matmul(X, self.weight) + self.bias` with the parameters "
              "themselves")
PARAMETER_HINT = _("wrap the tensors in nn.Parameter and assign them to self (self.weight = "
                   "nn.Parameter(...))")
PLAIN_LIST_HINT = _("modules kept in a plain Python list (or dict) are not registered: parameters(), "
                    "state_dict() and .to() do not see them.  Register each one: "
                    "self.add_module(str(idx), module) (or self._modules[str(idx)] = module)")
BUFFER_HINT = _("keep the constant with self.register_buffer('rand_weight', torch.rand(20, 20)): a buffer "
                "follows .to(device)/.double() and is saved in state_dict, but is not a parameter")
LINEAR_ONLY_HINT = _("change nn.Linear modules only: test `type(m) == nn.Linear` (net.apply calls fn on "
                     "every module)")
TIED_HINT = _("create the shared nn.Linear(8, 8) once and put the same object in the Sequential twice; "
              "two separate Linear layers are not tied")


# ---------------------------------------------------------------- helpers

def data_of(value, name):
    """The CPU tensor behind a TensorValue the worker sent, or a failed check."""
    if not isinstance(value, TensorValue) or value.data is None:
        raise CheckFailed(_("{name}: got {value}, expected a tensor", name=name, value=describe_type(value)))
    return value.data


def random_state(rng, shapes, *, positive=()):
    state = {}
    for name, shape in shapes.items():
        t = randn(rng, *shape)
        state[name] = t.abs() + 0.5 if name in positive else t
    return state


def reference_with(module, state):
    with torch.no_grad():
        params = dict(module.named_parameters())
        params.update(module.named_buffers())
        for name, value in state.items():
            params[name].copy_(value)
    return module


@oracle
def sequential_centered_expected(reference, state, X):
    ref = reference_with(nn.Sequential(nn.Linear(8, 16), reference.CenteredLayer()), state)
    with torch.no_grad():
        return ref(X)


@oracle
def mylinear_expected(reference, state, X, upstream=None):
    ref = reference_with(reference.MyLinear(*state["weight"].shape), state)
    if upstream is None:
        with torch.no_grad():
            return ref(X)
    out = ref(X)
    weighted_sum(out, upstream).backward()
    return out.detach(), {"weight": ref.weight.grad, "bias": ref.bias.grad}


@oracle
def fixed_expected(reference, state, X, double=False):
    ref = reference_with(reference.FixedHiddenMLP(), state)
    with torch.no_grad():
        return (ref.double() if double else ref)(X)


@oracle
def shapes_of(reference, factory, what="state_dict"):
    ref = getattr(reference, factory)()
    items = ref.state_dict().items() if what == "state_dict" else ref.named_parameters()
    return {k: tuple(v.shape) for k, v in items}


@oracle
def net_expected(reference, factory, state, X, upstream=None):
    ref = reference_with(getattr(reference, factory)(), state)
    if upstream is None:
        with torch.no_grad():
            return ref(X)
    out = ref(X)
    weighted_sum(out, upstream).backward()
    return out.detach(), {k: p.grad for k, p in ref.named_parameters()}


def forward_uses_data(student, class_name):
    """Line numbers where ``class_name``'s methods use ``.data`` / ``.detach()`` (static)."""
    lines = []
    for node in ast.walk(student.source_tree()):
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Attribute) and sub.attr in ("data", "detach"):
                    lines.append(sub.lineno)
    return lines


# ---------------------------------------------------------------- CenteredLayer

@check(points=6, hint=_("return X - X.mean(): the mean of the whole input, a scalar"))
def test_centered_layer(student, rng):
    layer = Handle.new(student, "CenteredLayer", _label="CenteredLayer()")
    layer.require_module()
    for shape, dtype in (((7,), torch.float32), ((4, 8), torch.float32), ((2, 3, 5), torch.float64)):
        X = randn(rng, *shape, dtype=dtype, scale=3.0, shift=5.0)
        mistakes = [Mistake(_("subtract the mean of the whole input (X.mean()), not of each column"),
                            X - X.mean(dim=0)),
                    Mistake(_("subtract the mean of the whole input (X.mean()), not of each row"),
                            X - X.mean(dim=-1, keepdim=True))] if len(shape) > 1 else []
        expect(layer(X), X - X.mean(), name=_("CenteredLayer()(X), X of shape {shape} and dtype {dtype}",
                                              shape=tuple(shape), dtype=dtype),
               mistakes=mistakes)


@check(points=3, hint=_("CenteredLayer must be an nn.Module whose forward takes one tensor"))
def test_centered_in_sequential(student, reference, rng):
    layer = Handle.new(student, "CenteredLayer", _label="CenteredLayer()")
    layer.require_module()
    net = Handle.build(student, nn_layer("Sequential", nn_layer("Linear", 8, 16), layer),
                       "nn.Sequential(nn.Linear(8, 16), CenteredLayer())")
    state = random_state(rng, {"0.weight": (16, 8), "0.bias": (16,)})
    net.load(state)
    X = randn(rng, 4, 8)
    got = net(X)
    expected = sequential_centered_expected(reference, state, X)
    expect(got, expected, name="nn.Sequential(nn.Linear(8, 16), CenteredLayer())(X)")
    mean = float(data_of(got, "output").mean())
    if abs(mean) > 1e-5:
        raise CheckFailed(_("the output's mean is {mean:.3g}, expected 0", mean=mean))


# ---------------------------------------------------------------- MyLinear

@check(points=6, hint=_("self.weight = nn.Parameter(torch.randn(in_units, units)); self.bias = "
                        "nn.Parameter(torch.randn(units))"))
def test_mylinear_parameters(student):
    layer = Handle.new(student, "MyLinear", 5, 3, _label="MyLinear(5, 3)")
    s = layer.describe(values=False)
    shapes = s.shapes()
    if not shapes:
        plain = sorted(s.tensor_attributes)
        raise CheckFailed(_("MyLinear(5, 3) has no parameters (plain tensor attributes: {plain})", plain=plain) if plain
                          else _("MyLinear(5, 3) has no parameters"),
                          PARAMETER_HINT)
    if list(shapes) != ["weight", "bias"]:
        raise CheckFailed(_("MyLinear(5, 3) parameters are {shapes}, expected ['weight', 'bias'] (in that "
                            "order)", shapes=list(shapes)))
    if shapes["weight"] == (3, 5):
        raise CheckFailed(_("MyLinear(5, 3).weight has shape (3, 5), expected (5, 3)"),
                          _("this layer computes X @ weight, so weight is (in_units, units) — unlike "
                            "nn.Linear"))
    expect(shapes, {"weight": (5, 3), "bias": (3,)}, name="MyLinear(5, 3) parameter shapes")
    for name, flag in s.requires_grad.items():
        if not flag:
            raise CheckFailed(_("MyLinear(5, 3).{name} has requires_grad=False: it would never be trained",
                                name=name))


def _mylinear_case(student, reference, rng, in_units, units, n):
    layer = Handle.new(student, "MyLinear", in_units, units, _label=f"MyLinear({in_units}, {units})")
    layer.require_module()
    state = random_state(rng, {"weight": (in_units, units), "bias": (units,)})
    layer.load(state)
    return layer, None, randn(rng, n, in_units), state


@check(points=7, hint=_("forward returns relu(X @ weight + bias)"))
def test_mylinear_forward(student, reference, rng):
    layer, ref, X, state = _mylinear_case(student, reference, rng, 5, 3, 10)
    expected = mylinear_expected(reference, state, X)
    with torch.no_grad():
        linear = X @ state["weight"] + state["bias"]
    expect(layer(X), expected, name=_("MyLinear(5, 3)(X) with the grader's weight and bias"),
           mistakes=[Mistake(_("apply the ReLU: forward returns relu(X @ weight + bias)"), linear),
                     Mistake(_("add the bias before the ReLU, not after it"),
                             torch.relu(X @ state["weight"]) + state["bias"])])


@check(points=7, hint=_("gradients reach the parameters only through operations on the parameters "
                        "themselves"))
def test_mylinear_gradients(student, reference, rng):
    layer, ref, X, state = _mylinear_case(student, reference, rng, 5, 3, 6)
    upstream = randn(rng, 6, 3)
    result = layer.backward(X, grad_output=upstream)
    missing = [name for name in ("weight", "bias") if result.grads.get(name) is None]
    if missing or not result.connected:
        lines = forward_uses_data(student, "MyLinear")
        where = (_(" ({display}, line {line} uses .data/.detach())", display=student.display, line=lines[0])
                 if lines else "")
        raise CheckFailed(_("after backpropagating through MyLinear(5, 3), {join} has no gradient: the output "
                            "is not connected to the parameters{where}",
                            join=', '.join(missing or ['weight', 'bias']), where=where),
                          DATA_HINT if lines else PARAMETER_HINT)
    _state, expected = mylinear_expected(reference, state, X, upstream)
    grads = {name: result.grads[name] for name in ("weight", "bias")}
    expect(grads, expected, name=_("gradients of MyLinear(5, 3)"), rtol=1e-5, atol=1e-5)
    x64, g64 = X.double().numpy(), upstream.double().numpy()

    def f(params):  # the trusted objective: sum(upstream * relu(X W + b)), float64
        return float(np.sum(g64 * np.maximum(x64 @ params[0] + params[1], 0)))
    verdict = check_gradient(f, [state["weight"].double().numpy(), state["bias"].double().numpy()],
                             [data_of(grads[n], n).double().numpy() for n in ("weight", "bias")],
                             names=["weight.grad", "bias.grad"], rng=rng)
    if not verdict.ok:
        raise CheckFailed(verdict.message)


@check(points=5, hidden=True, hint=_("MyLinear must work for any in_units and units"))
def test_mylinear_other_sizes(student, reference, rng):
    layer, _ref, X, state = _mylinear_case(student, reference, rng, 7, 2, 9)
    upstream = randn(rng, 9, 2)
    result = layer.backward(X, grad_output=upstream)
    out, grads = mylinear_expected(reference, state, X, upstream)
    expect(result.output, out, name="MyLinear(7, 2)(X)")
    expect({k: result.grads.get(k) for k in ("weight", "bias")}, grads,
           name=_("gradients of MyLinear(7, 2)"), rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- MySequential

SEQ = "MySequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 10))"
SEQ_KEYS = ["0.weight", "0.bias", "2.weight", "2.bias"]


def _sequential(student):
    seq = Handle.new(student, "MySequential", nn_layer("Linear", 20, 32), nn_layer("ReLU"),
                     nn_layer("Linear", 32, 10), _label=SEQ)
    seq.require_module()
    return seq


def _require_registered(s, label, keys):
    if s.unregistered_modules and not s.parameters:
        attr, kind = next(iter(s.unregistered_modules.items()))
        raise CheckFailed(_("{label} has no registered children and no parameters: its modules are in the "
                            "plain {kind} self.{attr}", label=label, kind=kind, attr=attr), PLAIN_LIST_HINT)
    got = list(s.state_dict)
    if got != keys:
        raise CheckFailed(_("{label}.state_dict() keys are {got}, expected {keys} (as nn.Sequential)",
                            label=label, got=got, keys=keys),
                          PLAIN_LIST_HINT if not got else
                          _("register each module directly on self under its name (add_module(name, "
                            "module)), not inside a container attribute"))


@check(points=6, hint=PLAIN_LIST_HINT)
def test_mysequential_registration(student):
    seq = _sequential(student)
    s = seq.describe(values=False)
    _require_registered(s, SEQ, SEQ_KEYS)
    children = [(c[0], c[1].rsplit(".", 1)[-1]) for c in s.children]
    expect(children, [("0", "Linear"), ("1", "ReLU"), ("2", "Linear")], name=_("{seq}: children (name, type)",
                                                                               seq=SEQ))
    expect(list(s.parameters), SEQ_KEYS, name=_("{SEQ}.named_parameters() names, in order", SEQ=SEQ))
    expect(s.shapes(), {"0.weight": (32, 20), "0.bias": (32,), "2.weight": (10, 32), "2.bias": (10,)},
           name=_("{seq}: parameter shapes", seq=SEQ))


@check(points=3, hint=_("MySequential(OrderedDict(...)) registers each module under its key: `for key, "
                        "module in args[0].items(): self.add_module(key, module)`"))
def test_mysequential_ordereddict(student, rng):
    label = 'MySequential(OrderedDict([("fc1", nn.Linear(4, 6)), ("act", nn.ReLU()), ("fc2", nn.Linear(6, 2))]))'
    seq = Handle.new(student, "MySequential", odict([("fc1", nn_layer("Linear", 4, 6)), ("act", nn_layer("ReLU")),
                                                     ("fc2", nn_layer("Linear", 6, 2))]), _label=label)
    seq.require_module()
    s = seq.describe(values=False)
    _require_registered(s, label, ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
    state = random_state(rng, {"fc1.weight": (6, 4), "fc1.bias": (6,), "fc2.weight": (2, 6), "fc2.bias": (2,)})
    seq.load(state)
    ref = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2))
    reference_with(ref, {k.replace("fc1", "0").replace("fc2", "2"): v for k, v in state.items()})
    X = randn(rng, 3, 4)
    with torch.no_grad():
        expect(seq(X), ref(X), name=f"{label}(X)")


@check(points=5, hint=_("forward runs the registered modules in order: `for block in "
                        "self._modules.values(): X = block(X)`; registered children follow .to()"))
def test_mysequential_forward_and_to(student, rng):
    seq = _sequential(student)
    _require_registered(seq.describe(values=False), SEQ, SEQ_KEYS)
    state = random_state(rng, {"0.weight": (32, 20), "0.bias": (32,), "2.weight": (10, 32), "2.bias": (10,)})
    seq.load(state)
    ref = reference_with(nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 10)), state)
    X = randn(rng, 4, 20)
    with torch.no_grad():
        expect(seq(X), ref(X), name=f"{SEQ}(X)")
    # the documented construction with one module (not an OrderedDict): MySequential(nn.Linear(20, 3))
    one_label = "MySequential(nn.Linear(20, 3))"
    one = Handle.new(student, "MySequential", nn_layer("Linear", 20, 3), _label=one_label)
    one.require_module()
    one_state = random_state(rng, {"0.weight": (3, 20), "0.bias": (3,)})
    one.load(one_state)
    with torch.no_grad():
        expect(one(X), reference_with(nn.Sequential(nn.Linear(20, 3)), one_state)(X), name=f"{one_label}(X)")
        seq.method("double")
        dtypes = {k: v.dtype for k, v in seq.describe().parameters.items()}
        if set(dtypes.values()) != {"float64"}:
            raise CheckFailed(_("after {SEQ}.double(), the parameter dtypes are {dtypes}, expected float64",
                                SEQ=SEQ, dtypes=dtypes),
                              PLAIN_LIST_HINT)
        expect(seq(X.double()), ref.double()(X.double()), name=f"{SEQ}.double()(X.double())")


# ---------------------------------------------------------------- FixedHiddenMLP

FIXED_SHAPES = {"linear.weight": (20, 20), "linear.bias": (20,), "rand_weight": (20, 20)}


def _fixed(student, reference, rng):
    net = Handle.new(student, "FixedHiddenMLP", _label="FixedHiddenMLP()")
    net.require_module()
    state = random_state(rng, FIXED_SHAPES)
    state["rand_weight"] = torch.from_numpy(rng.random((20, 20))).float()
    net.load(state)
    return net, None, state


@check(points=5, hint=_("linear, relu(X @ rand_weight + 1), the same linear again, halve while "
                        "X.abs().sum() > 1, return X.sum()"))
def test_fixed_hidden_forward(student, reference, rng):
    net, _ref, state = _fixed(student, reference, rng)
    for n in (2, 5):
        X = randn(rng, n, 20)
        with torch.no_grad():
            expect(net(X), fixed_expected(reference, state, X),
                   name=_("FixedHiddenMLP()(X), X of shape ({n}, 20), with the grader's weights", n=n),
                   rtol=1e-5, atol=1e-6)


RAND_WEIGHT_HINT = _("rand_weight = torch.rand((20, 20)): uniform on [0, 1), not randn (normal) or a "
                     "scaled range")


@check(points=3, hint=RAND_WEIGHT_HINT)
def test_fixed_hidden_rand_weight(student):
    """DESIGN: rand_weight is 20×20 and uniform on [0, 1).  Three fresh modules (1,200 values):
    every value in [0, 1), and mean and variance within 6σ of 1/2 and 1/12."""
    values = []
    for i in range(3):
        s = Handle.new(student, "FixedHiddenMLP", _label="FixedHiddenMLP()").describe()
        found = next((where[name] for where in (s.buffers, s.tensor_attributes, s.parameters)
                      for name in where if name.split(".")[-1] == "rand_weight"), None)
        if found is None:
            raise CheckFailed(_("FixedHiddenMLP() has no tensor attribute or buffer named rand_weight"), BUFFER_HINT)
        value = data_of(found, "FixedHiddenMLP().rand_weight")
        if tuple(value.shape) != (20, 20):
            raise CheckFailed(_("FixedHiddenMLP().rand_weight has shape {shape}, expected (20, 20)",
                                shape=tuple(value.shape)))
        values.append(value.double().flatten())
    u = torch.cat(values)
    low, high = float(u.min()), float(u.max())
    if low < 0 or high >= 1:
        raise CheckFailed(_("FixedHiddenMLP().rand_weight has values in [{low:.3g}, {high:.3g}], expected "
                            "all in [0, 1)", low=low, high=high),
                          RAND_WEIGHT_HINT)
    n = u.numel()
    within(float(u.mean()), 0.5, math.sqrt(1 / 12 / n), _("the mean of rand_weight over {n} values", n=n),
           RAND_WEIGHT_HINT)
    within(float(u.var(unbiased=False)), 1 / 12, math.sqrt((1 / 80 - 1 / 144) / n),
           _("the variance of rand_weight over {n} values", n=n), RAND_WEIGHT_HINT)


@check(points=5, hint=BUFFER_HINT)
def test_fixed_hidden_constant(student, reference, rng):
    net, ref, state = _fixed(student, reference, rng)
    s = net.describe(values=False)
    if any(name.split(".")[-1] == "rand_weight" for name in s.parameters):
        raise CheckFailed(_("FixedHiddenMLP().rand_weight is a parameter: an optimizer would train it"), BUFFER_HINT)
    expect(sorted(s.parameters), ["linear.bias", "linear.weight"], name="FixedHiddenMLP() parameter names")
    X = randn(rng, 3, 20)
    net.sgd_step(X, lr=0.5)
    after = net.describe()
    where = after.buffers if "rand_weight" in after.buffers else after.tensor_attributes
    if "rand_weight" not in where:
        raise CheckFailed(_("FixedHiddenMLP() has no tensor attribute or buffer named rand_weight"), BUFFER_HINT)
    expect(where["rand_weight"], state["rand_weight"], name=_("rand_weight after an SGD step"), rtol=0, atol=0)
    if torch.equal(data_of(after.parameters["linear.weight"], "linear.weight"), state["linear.weight"]):
        raise CheckFailed(_("an SGD step on FixedHiddenMLP() did not change linear.weight: forward must "
                            "use self.linear"))
    net.method("double")
    moved = net.describe(values=False)
    dtype = (moved.buffers.get("rand_weight") or moved.tensor_attributes.get("rand_weight") or {}).get("dtype")
    if dtype != "float64":
        raise CheckFailed(_("after FixedHiddenMLP().double(), rand_weight is still {dtype}: a plain tensor "
                            "attribute does not follow .to()/.double()", dtype=dtype), BUFFER_HINT)
    X = randn(rng, 2, 20, dtype=torch.float64)
    net2, _ref2, state2 = _fixed(student, reference, rng)
    net2.method("double")
    with torch.no_grad():
        expect(net2(X), fixed_expected(reference, state2, X, double=True),
               name=_("FixedHiddenMLP().double()(X) for float64 X"), rtol=1e-7, atol=1e-9)
    cuda = accelerators(student)["cuda"]
    if cuda:
        net2.method("to", "cuda:0")
        moved = net2.describe(values=False)
        device = (moved.buffers.get("rand_weight") or moved.tensor_attributes.get("rand_weight") or {}).get("device")
        if device != "cuda:0":
            raise CheckFailed(_("after FixedHiddenMLP().to('cuda:0'), rand_weight is on {device}",
                                device=device), BUFFER_HINT)
        out = net2(dataclasses.replace(as_value(X), device="cuda:0"))  # the worker builds it on cuda:0
        if not isinstance(out, TensorValue) or out.device != "cuda:0":
            raise CheckFailed(_("FixedHiddenMLP() on cuda:0 returned a result that is not on cuda:0"))


@check(points=5, timeout=60, hint=_("keep a module's tensors in nn.Parameter or register_buffer (they "
                                    "follow .to(device)) and create new tensors on the input's device"))
def test_device(student, rng, note):
    """Modules whose state follows ``.to(device)`` keep their outputs on the input's device."""
    state = random_state(rng, FIXED_SHAPES)
    state["rand_weight"] = torch.from_numpy(rng.random((20, 20))).float()
    X = randn(rng, 2, 20)
    method = None
    for cls, init, st, args in (("CenteredLayer", [], None, [X]), ("MyLinear", [20, 8], None, [X]),
                                ("FixedHiddenMLP", [], state, [X]), ("NestMLP", [], None, [X]),
                                ("ParamDictNet", [], None, [randn(rng, 1, 4), "linear3"])):
        shown = _("{cls}({join}) moved with .to(device), then called on {value}", cls=cls,
                  join=', '.join(map(str, init)), value='x' if cls == 'ParamDictNet' else 'X')
        method = check_device(student, None, args, cls=cls, init=init, state=st, name=shown, note=note)
    note_method(note, method)


# ---------------------------------------------------------------- NestMLP, ParamDictNet

@check(points=4, hint=_("self.net = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 32), "
                        "nn.ReLU()); self.linear = nn.Linear(32, 16); forward = self.linear(self.net(X))"))
def test_nest_mlp(student, reference, rng):
    net = Handle.new(student, "NestMLP", _label="NestMLP()")
    s = net.describe(values=False)
    expected = shapes_of(reference, "NestMLP")
    expect(s.shapes("state_dict"), expected,
           name=_("NestMLP().state_dict() keys and shapes"))
    state = random_state(rng, expected)
    net.load(state)
    X = randn(rng, 3, 20)
    with torch.no_grad():
        expect(net(X), net_expected(reference, "NestMLP", state, X),
               name=_("NestMLP()(X) with the grader's weights"))


@check(points=4, hint=_("self.params = nn.ParameterDict({{'linear1': nn.Parameter(torch.randn(4, 4)), ...}}); "
                        "forward(x, choice) = x @ self.params[choice]"))
def test_param_dict_net(student, rng):
    net = Handle.new(student, "ParamDictNet", _label="ParamDictNet()")
    s = net.describe(values=False)
    if not s.parameters:
        raise CheckFailed(_("ParamDictNet() has no parameters"),
                          _("a plain dict does not register its parameters: use nn.ParameterDict"))
    by_key = {name.split(".")[-1]: name for name in s.parameters}
    expect({k: s.shapes()[v] for k, v in by_key.items()}, {"linear1": (4, 4), "linear2": (4, 1), "linear3": (4, 2)},
           name="ParamDictNet() parameters (key: shape)")
    if not any(t.endswith("ParameterDict") for _name, t in s.modules):
        raise CheckFailed(_("ParamDictNet() holds its parameters, but not in an nn.ParameterDict"),
                          _("keep them in one nn.ParameterDict"))
    state = {by_key[k]: randn(rng, *shape) for k, shape in (("linear1", (4, 4)), ("linear2", (4, 1)),
                                                              ("linear3", (4, 2)))}
    net.load(state)
    x = randn(rng, 3, 4)
    for choice in ("linear1", "linear2", "linear3"):
        expect(net(x, choice), x @ state[by_key[choice]], name=f"ParamDictNet()(x, {choice!r})")
    expect(net(x), x @ state[by_key["linear1"]], name=_("ParamDictNet()(x) (choice defaults to 'linear1')"))


# ---------------------------------------------------------------- initialisation

INIT_NET = "nn.Sequential(nn.Linear(512, 256), nn.ReLU(), nn.LayerNorm(256), nn.Linear(256, 8))"


def _initialised(student, func):
    net = Handle.build(student, nn_layer("Sequential", nn_layer("Linear", 512, 256), nn_layer("ReLU"),
                                         nn_layer("LayerNorm", 256), nn_layer("Linear", 256, 8)), INIT_NET)
    before = {k: data_of(v, k).double().numpy() for k, v in net.describe().parameters.items()}
    net.apply_init(func)
    after = {k: data_of(v, k).double().numpy() for k, v in net.describe().parameters.items()}
    for key in ("2.weight", "2.bias"):
        if not np.array_equal(before[key], after[key]):
            raise CheckFailed(_("net.apply({func}) changed the LayerNorm's {value}", func=func,
                                value=key.split('.')[1]), LINEAR_ONLY_HINT)
    return before, after


def _exactly(values, constant, what):
    if not np.all(values == constant):
        bad = values[values != constant]
        raise CheckFailed(_("{what}: {size} of {size2} entries differ from {constant:g} (e.g. {flat:.6g})",
                            what=what, size=bad.size, size2=values.size, constant=constant, flat=bad.flat[0]))


def _unchanged(before, after, key, func):
    if not np.array_equal(before[key], after[key]):
        raise CheckFailed(_("net.apply({func}) changed {key}: this init leaves the bias as it was", func=func,
                            key=key))


def _normal_moments(w, std, what):
    n = w.size
    within(float(w.mean()), 0.0, std / math.sqrt(n), _("{what}: the mean", what=what))
    within(float(w.var()) / std ** 2, 1.0, math.sqrt(2.0 / (n - 1)), _("{what}: variance / {std:g}²",
                                                                       what=what, std=std))


@check(points=3, hint=_("nn.init.normal_(m.weight, mean=0, std=0.01); nn.init.zeros_(m.bias)"))
def test_init_normal(student):
    before, after = _initialised(student, "init_normal")
    for layer in ("0", "3"):
        _normal_moments(after[f"{layer}.weight"], 0.01, _("layer {layer} weight after init_normal", layer=layer))
        _exactly(after[f"{layer}.bias"], 0.0, _("layer {layer} bias after init_normal", layer=layer))
    w = after["0.weight"]
    p = math.erf(1 / math.sqrt(2))  # P(|w| <= std) for a normal
    within(float(np.mean(np.abs(w) <= 0.01)), p, math.sqrt(p * (1 - p) / w.size),
           _("the fraction of layer 0 weights within one std of 0 (0.6827 for a normal distribution)"))


@check(points=2, hint=_("nn.init.constant_(m.weight, 1); nn.init.zeros_(m.bias)"))
def test_init_constant(student):
    _before, after = _initialised(student, "init_constant")
    for layer in ("0", "3"):
        _exactly(after[f"{layer}.weight"], 1.0, _("layer {layer} weight after init_constant", layer=layer))
        _exactly(after[f"{layer}.bias"], 0.0, _("layer {layer} bias after init_constant", layer=layer))


@check(points=3, hint=_("nn.init.xavier_uniform_(m.weight): uniform on [-a, a] with a = sqrt(6 / (fan_in + "
                        "fan_out))"))
def test_init_xavier(student):
    before, after = _initialised(student, "init_xavier")
    for layer, (fan_in, fan_out) in (("0", (512, 256)), ("3", (256, 8))):
        w, a = after[f"{layer}.weight"], math.sqrt(6.0 / (fan_in + fan_out))
        if np.abs(w).max() > a * (1 + 1e-6):
            raise CheckFailed(_("layer {layer} weight after init_xavier: max |w| = {max:.4g} exceeds the "
                                "Xavier uniform bound a = {a:.4g}", layer=layer, max=np.abs(w).max(), a=a),
                              _("use nn.init.xavier_uniform_ (uniform), not xavier_normal_ or a hand-made "
                                "bound"))
        _unchanged(before, after, f"{layer}.bias", "init_xavier")
    w, a = after["0.weight"], math.sqrt(6.0 / 768)
    n = w.size
    # P(max |w| < a (1 - 1e-3)) = (1 - 1e-3)^n ≈ e^-131: never for a correct init
    if np.abs(w).max() < a * (1 - 1e-3):
        raise CheckFailed(_("layer 0 weight after init_xavier: max |w| = {max:.4g}, far below the bound a "
                            "= {a:.4g} of a Xavier uniform distribution", max=np.abs(w).max(), a=a))
    within(float(w.var()) / (a * a / 3), 1.0, 3 * math.sqrt(4.0 / 45.0 / n), "layer 0: variance / (a²/3)")
    for lo, hi in ((-1.0, -0.5), (-0.5, 0.0), (0.0, 0.5), (0.5, 1.0)):
        within(float(np.mean((w >= lo * a) & (w < hi * a))), 0.25, math.sqrt(0.25 * 0.75 / n),
               _("layer 0: the fraction of weights in [{lo:g}a, {hi:g}a)", lo=lo, hi=hi))


@check(points=2, hint=_("nn.init.constant_(m.weight, 42); leave the bias alone"))
def test_init_42(student):
    before, after = _initialised(student, "init_42")
    for layer in ("0", "3"):
        _exactly(after[f"{layer}.weight"], 42.0, _("layer {layer} weight after init_42", layer=layer))
        _unchanged(before, after, f"{layer}.bias", "init_42")


@check(points=4, hint=_("nn.init.uniform_(m.weight, -10, 10), then m.weight *= m.weight.abs() >= 5 (under "
                        "no_grad)"))
def test_my_init(student):
    before, after = _initialised(student, "my_init")
    for layer in ("0", "3"):
        w = after[f"{layer}.weight"]
        small = (w != 0) & (np.abs(w) < 5)
        if small.any():
            raise CheckFailed(_("layer {layer} weight after my_init: {value} nonzero weights with |w| < 5 "
                                "(e.g. {flat:.4g})", layer=layer, value=int(small.sum()), flat=w[small].flat[0]),
                              _("zero the weights with |w| < 5 and keep the others (mask = w.abs() >= 5)"))
        if np.abs(w).max() > 10:
            raise CheckFailed(_("layer {layer} weight after my_init: max |w| = {max:.4g} > 10", layer=layer,
                                max=np.abs(w).max()))
        _unchanged(before, after, f"{layer}.bias", "my_init")
    w = after["0.weight"]
    n = w.size
    within(float(np.mean(w == 0)), 0.5, math.sqrt(0.25 / n), _("layer 0: the fraction of zero weights"))
    kept = w[w != 0]
    within(float(np.mean(kept > 0)), 0.5, math.sqrt(0.25 / kept.size),
            _("layer 0: the fraction of positive nonzero weights"))
    within(float(np.mean(np.abs(kept) < 7.5)), 0.5, math.sqrt(0.25 / kept.size),
           _("layer 0: the fraction of nonzero weights with |w| < 7.5 (uniform on 5 ≤ |w| ≤ 10)"))


# ---------------------------------------------------------------- tied parameters

@check(points=5, hint=TIED_HINT)
def test_tied_net(student, reference, rng):
    net = Handle.new(student, "make_tied_net", _label="make_tied_net()")
    s = net.describe(values=False)
    types = [c[1].rsplit(".", 1)[-1] for c in s.children]
    expect(types, ["Linear", "ReLU", "Linear", "ReLU", "Linear", "ReLU", "Linear"],
           name=_("make_tied_net(): the Sequential's layer types"))
    if s.children[4][2] != s.children[2][0]:
        raise CheckFailed(_("make_tied_net(): layers 2 and 4 are different objects, so their parameters "
                            "are not shared"), TIED_HINT)
    shapes = shapes_of(reference, "make_tied_net", "parameters")
    expect(s.shapes(), shapes, name="make_tied_net() parameters (tied ones listed once)")
    state = random_state(rng, shapes)
    state = {k: v * 0.5 for k, v in state.items()}
    net.load(state)
    X, upstream = randn(rng, 5, 4), randn(rng, 5, 1)
    result = net.backward(X, grad_output=upstream)
    out, grads = net_expected(reference, "make_tied_net", state, X, upstream)
    expect(result.output, out, name="make_tied_net()(X)")
    expect(result.grads, grads, name=_("gradients of make_tied_net()"),
           rtol=1e-5, atol=1e-6, hint=_("the shared layer's gradient is the sum of the gradients of both "
                                        "uses"))


# ---------------------------------------------------------------- save / load

@check(points=7, hint=_("save_params: torch.save(net.state_dict(), path); load_params: "
                        "net.load_state_dict(torch.load(path, weights_only=True)); return net"))
def test_save_load(student, rng):
    spec = nn_layer("Sequential", nn_layer("Linear", 20, 32), nn_layer("BatchNorm1d", 32), nn_layer("ReLU"),
                    nn_layer("Linear", 32, 10))
    label = "nn.Sequential(nn.Linear(20, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 10))"
    shapes = {"0.weight": (32, 20), "0.bias": (32,), "1.weight": (32,), "1.bias": (32,), "1.running_mean": (32,),
              "1.running_var": (32,), "3.weight": (10, 32), "3.bias": (10,)}
    src, dst = Handle.build(student, spec, label), Handle.build(student, spec, label)
    state = random_state(rng, shapes, positive={"1.running_var"})
    src.load(state)
    dst.load(random_state(rng, shapes, positive={"1.running_var"}))
    src.method("eval")
    dst.method("eval")
    X = randn(rng, 6, 20)
    expected_out = src(X)
    reply = src.save()
    if reply["file"] is None:
        raise CheckFailed(_("save_params(net, path) did not create the file at path"))
    try:
        saved = read_state_file(reply["file"])
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the student's to fix
        raise CheckFailed(_("the file written by save_params cannot be read with torch.load(path, "
                            "weights_only=True): {name}: {value}", name=type(exc).__name__,
                            value=str(exc).splitlines()[0][:300] if str(exc) else ''),
                          _("save the state_dict (torch.save(net.state_dict(), path)), not the module "
                            "itself: a pickled module cannot be loaded safely")) from None
    if not isinstance(saved, dict) or not all(type(v) is torch.Tensor for v in saved.values()):
        raise CheckFailed(_("the file written by save_params holds a {name}, expected a state_dict (a dict "
                            "of tensors)", name=type(saved).__name__), _("torch.save(net.state_dict(), path)"))
    expect({k: as_value(v) for k, v in saved.items() if k in shapes}, state,
           name=_("the saved state_dict"), rtol=0, atol=0)
    missing = sorted(set(shapes) - set(saved))
    if missing:
        raise CheckFailed(_("the saved state_dict lacks {missing}", missing=missing),
                _("save net.state_dict(): it includes the buffers"))
    returned = dst.load_saved(reply["path"])
    # What load_params must produce is an effect: net holds the saved weights.  The notes'
    # own `clone.load_state_dict(...)` returns nothing, so None is as good as net itself;
    # another object is not (the caller would keep using the old net).
    if returned not in ("same", "none"):
        raise CheckFailed(_("load_params(net, path) returned {returned}, expected net itself (or nothing)",
                            returned=returned),
                          _("load the weights into the net you were given (net.load_state_dict(...)) and "
                            "return that net; do not build a new one"))
    after = dst.describe()
    expect({k: v for k, v in after.state_dict.items() if k in shapes}, state,
           name=_("the parameters and buffers after load_params"), rtol=0, atol=0)
    expect(dst(X), data_of(expected_out, "output"), name=_("the loaded net's output (must equal the saved net's)"),
           rtol=0, atol=0)
