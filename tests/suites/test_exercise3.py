"""exercise3's suite recognises each known wrong implementation (it loses exactly the intended
checks, with the targeted hint), and student objects never run code in the grader's process.

Each submission carries several mistakes in different classes/functions whose checks do not
overlap, so a few grading runs cover every mistake.
"""
from __future__ import annotations

import os
import pickle

import pytest

import autograder
from conftest import KIT, checks_by_id, write_submission

MYLINEAR_FORWARD = "linear = torch.matmul(X, self.weight) + self.bias"
SEQ_INIT = """        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for key, module in args[0].items():
                self.add_module(key, module)
        else:
            for idx, module in enumerate(args):
                self.add_module(str(idx), module)
"""
SEQ_PLAIN_LIST = """        modules = args[0].values() if len(args) == 1 and isinstance(args[0], OrderedDict) else args
        self.blocks = list(modules)
"""
BUFFER = 'self.register_buffer("rand_weight", torch.rand((20, 20)))'
TIED = "shared, nn.ReLU(), shared, nn.ReLU()"

# submission -> [(mutation, checks it must lose, text of the first check's hint)]
SUBMISSIONS = {
    "textbook_mistakes": [
        ((MYLINEAR_FORWARD, "linear = torch.matmul(X, self.weight.data) + self.bias.data"),
         ["mylinear_gradients", "mylinear_other_sizes"], "`.data` (or `.detach()`) in forward cuts the autograd graph"),
        ((SEQ_INIT, SEQ_PLAIN_LIST), ["mysequential_registration", "mysequential_ordereddict",
                                      "mysequential_forward_and_to"], "plain Python list"),
        ((BUFFER, "self.rand_weight = torch.rand((20, 20), requires_grad=False)"), ["fixed_hidden_constant", "device"],
         "register_buffer"),
        ((TIED, "shared, nn.ReLU(), nn.Linear(8, 8), nn.ReLU()"), ["tied_net"], "the same object in the Sequential twice"),
        (("torch.save(net.state_dict(), path)", "torch.save(net, path)"), ["save_load"], "not the module itself"),
        (("nn.init.normal_(m.weight, mean=0.0, std=0.01)", "nn.init.normal_(m.weight, mean=0.0, std=0.1)"),
         ["init_normal"], "std=0.01"),
        (("m.weight *= m.weight.abs() >= 5", "m.weight *= m.weight.abs() < 5"), ["my_init"], "zero the weights with |w| < 5"),
        (("return X - X.mean()", "return X - X.mean(dim=0)"), ["centered_layer", "centered_in_sequential"],
         "not of each column"),
    ],
    "more_mistakes": [
        (("return F.relu(linear)", "return linear"), ["mylinear_forward", "mylinear_gradients", "mylinear_other_sizes"],
         "apply the ReLU"),
        ((BUFFER, "self.rand_weight = nn.Parameter(torch.rand((20, 20)), requires_grad=False)"),
         ["fixed_hidden_constant"], "register_buffer"),
        (("nn.init.xavier_uniform_(m.weight)", "nn.init.xavier_normal_(m.weight)"), ["init_xavier"], "not xavier_normal_"),
        (("""    if type(m) == nn.Linear:
        nn.init.constant_(m.weight, 42)""", """    if hasattr(m, "weight"):
        nn.init.constant_(m.weight, 42)"""), ["init_42"], "change nn.Linear modules only"),
        (("self.params = nn.ParameterDict({", "self.params = dict({"), ["param_dict_net", "device"], "nn.ParameterDict"),
        (("for block in self._modules.values():", "for block in list(self._modules.values())[:-1]:"),
         ["mysequential_ordereddict", "mysequential_forward_and_to"], None),
    ],
}


def _mutant_source(mutations) -> str:
    source = KIT.solution_path(KIT.find("exercise3")).read_text(encoding="utf-8")
    for old, new in mutations:
        assert old in source, old
        source = source.replace(old, new)
    return source


@pytest.mark.parametrize("submission", sorted(SUBMISSIONS))
def test_known_mistakes_lose_their_check_with_its_hint(tmp_path, submission):
    mutations = SUBMISSIONS[submission]
    root = write_submission(tmp_path, "exercise3", _mutant_source([m for m, _, _ in mutations]))
    checks = checks_by_id(autograder.grade("exercise3", submission=root))
    lost = {cid for _, cids, _ in mutations for cid in cids}
    failed = {cid for cid, c in checks.items() if c["status"] != "passed"}
    assert failed == lost, {cid: (checks[cid]["status"], checks[cid]["message"][:300]) for cid in failed ^ lost}
    for _, cids, hint in mutations:
        if hint is not None:
            assert hint in (checks[cids[0]]["hint"] or ""), (cids[0], checks[cids[0]]["message"], checks[cids[0]]["hint"])
    if submission == "textbook_mistakes":  # the .data hint points at the line
        assert ", line " in checks["mylinear_gradients"]["message"], checks["mylinear_gradients"]["message"]


PAYLOAD = '''

import os as _os


class _Payload:
    """Runs code when unpickled: records the pid of the process that unpickled it."""

    def __reduce__(self):
        return (exec, ("open(%r, 'a').write(str(__import__('os').getpid()) + '\\\\n')" % MARKER,))


MyLinear.__reduce__ = _Payload.__reduce__
MyLinear.__reduce_ex__ = lambda self, protocol: _Payload.__reduce__(self)
CenteredLayer.forward = lambda self, X: _Payload()
FixedHiddenMLP.forward = lambda self, X: [_Payload(), {"k": _Payload()}]


def make_tied_net():
    return _Payload()


def save_params(net, path):
    torch.save({"weights": _Payload(), "net": net}, path)


def load_params(net, path):
    torch.load(path, weights_only=False)  # runs the payload here, in the worker
    return net
'''


def test_objects_with_reduce_run_no_code_in_the_grader(tmp_path):
    marker = tmp_path / "unpickled-by.txt"
    source = f"MARKER = {str(marker)!r}\n" + KIT.solution_path(KIT.find("exercise3")).read_text() + PAYLOAD
    root = write_submission(tmp_path / "submission", "exercise3", source)

    # the payload is live: unpickling one in this process would run it
    namespace = {}
    exec(f"MARKER = {str(tmp_path / 'live.txt')!r}\n" + PAYLOAD.split("MyLinear.__reduce__")[0], namespace)
    pickle.loads(pickle.dumps(namespace["_Payload"]()))
    assert (tmp_path / "live.txt").read_text().strip() == str(os.getpid())

    checks = checks_by_id(autograder.grade("exercise3", submission=root))
    recorded = marker.read_text().split() if marker.exists() else []
    assert str(os.getpid()) not in recorded, "student code ran in the grader's process"
    assert checks["save_load"]["status"] == "failed"
    assert "weights_only=True" in checks["save_load"]["message"]
    assert checks["centered_layer"]["status"] == "failed" and "_Payload" in checks["centered_layer"]["message"]
    assert checks["fixed_hidden_forward"]["status"] == "failed"
    assert checks["tied_net"]["status"] == "failed" and "nn.Module" in checks["tied_net"]["message"]
    for cid in ("mylinear_parameters", "mylinear_forward", "mylinear_gradients"):  # kept in the worker only
        assert checks[cid]["status"] == "passed", checks[cid]["message"]


class _FakeStudent:
    """Stands in for the remote module: every driver call answers ``reply``."""

    def __init__(self, reply):
        self.reply = reply

    def drive(self, driver, *args, **kwargs):
        return self.reply


@pytest.mark.parametrize("reply", [None, "x", {"id": "1"}, {"type": "t"}])
def test_handle_rejects_a_reply_without_an_object_id(reply):
    from autograder.checks.modules import Handle
    from autograder.checks.verdict import StudentError
    with pytest.raises(StudentError, match="malformed reply"):
        Handle.new(_FakeStudent(reply), "MyLinear", 4, 3)


@pytest.mark.parametrize("reply", [None, [], {"type": "t"}, {"type": "t", "parameters": "oops"}])
def test_handle_rejects_a_malformed_description(reply):
    from autograder.checks.modules import Handle
    from autograder.checks.verdict import StudentError
    handle = Handle(_FakeStudent(reply), {"id": 1, "type": "x.MyLinear", "kind": "module"}, "MyLinear(4, 3)")
    with pytest.raises(StudentError, match="malformed reply"):
        handle.describe()


LOAD_AND_RETURN = "    net.load_state_dict(torch.load(path, weights_only=True))\n    return net\n"


@pytest.mark.parametrize("body, passes", [
    # the notes' own idiom (`clone.load_state_dict(...)`): loaded in place, nothing returned
    ("    net.load_state_dict(torch.load(path, weights_only=True))\n", True),
    # a new module with the weights: the caller's net is left as it was
    ("    import copy\n    new = copy.deepcopy(net)\n    new.load_state_dict(torch.load(path, weights_only=True))\n"
     "    return new\n", False),
])
def test_load_params_is_graded_on_its_effect(tmp_path, body, passes):
    root = write_submission(tmp_path, "exercise3", _mutant_source([(LOAD_AND_RETURN, body)]))
    check = checks_by_id(autograder.grade("exercise3", submission=root, pattern="save_load"))["save_load"]
    assert (check["status"] == "passed") is passes, check["message"]
    if not passes:
        assert "returned torch.nn.modules.container.Sequential" in check["message"] and "do not build a new one" in check["hint"]


def test_init_touching_weight_of_every_module_gets_the_isinstance_hint(tmp_path):
    """net.apply(init_42) reaches the ReLU: its AttributeError names the known mistake."""
    root = write_submission(tmp_path, "exercise3", _mutant_source([(
        "    if type(m) == nn.Linear:\n        nn.init.constant_(m.weight, 42)", "    nn.init.constant_(m.weight, 42)")]))
    check = checks_by_id(autograder.grade("exercise3", submission=root, pattern="init_42"))["init_42"]
    assert check["status"] == "error" and "'ReLU' object has no attribute 'weight'" in check["message"]
    assert "isinstance(m, nn.Linear)" in check["hint"] and check.get("specific_hint")



@pytest.mark.parametrize("construction, why", [
    ("torch.randn((20, 20))", "values in"),  # normal, not uniform: negative values
    ("torch.rand((20, 20)) * 0.5", "the mean of rand_weight"),  # uniform on [0, 0.5)
])
def test_rand_weight_from_another_distribution_loses_its_check(tmp_path, construction, why):
    root = write_submission(tmp_path, "exercise3", _mutant_source([(BUFFER, BUFFER.replace("torch.rand((20, 20))", construction))]))
    checks = checks_by_id(autograder.grade("exercise3", submission=root, pattern="fixed_hidden"))
    assert {c for c, v in checks.items() if v["status"] != "passed"} == {"fixed_hidden_rand_weight"}
    assert why in checks["fixed_hidden_rand_weight"]["message"] and "uniform on [0, 1)" in checks["fixed_hidden_rand_weight"]["hint"]


def test_a_cpu_tensor_in_a_modules_forward_loses_the_device_points(tmp_path):
    root = write_submission(tmp_path, "exercise3", _mutant_source([(
        MYLINEAR_FORWARD, MYLINEAR_FORWARD.replace("+ self.bias", "+ self.bias + torch.zeros(self.bias.shape)"))]))
    checks = checks_by_id(autograder.grade("exercise3", submission=root, pattern="mylinear or device"))
    assert {c for c, v in checks.items() if v["status"] != "passed"} == {"device"}
    assert checks["device"]["message"].startswith("MyLinear(20, 8) moved with .to(device), then called on X")


def test_mysequential_of_one_module_is_built(tmp_path):
    """The documented single-module construction: `or` for `and` reads a Linear as an OrderedDict."""
    root = write_submission(tmp_path, "exercise3", _mutant_source([(
        "if len(args) == 1 and isinstance(args[0], OrderedDict):", "if len(args) == 1 or isinstance(args[0], OrderedDict):")]))
    checks = checks_by_id(autograder.grade("exercise3", submission=root, pattern="mysequential"))
    assert {c for c, v in checks.items() if v["status"] != "passed"} == {"mysequential_forward_and_to"}
    assert "isinstance(args[0], OrderedDict)" in checks["mysequential_forward_and_to"]["hint"]
