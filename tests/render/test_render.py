"""Every output format is an adapter over the canonical document."""
from __future__ import annotations

import base64
import json
import unicodedata

import click
import pytest

from autograder.render import FORMATS, renderer
from autograder.render.text import render

DOCUMENT = {
    "score": 12.5, "max_score": 30, "seed": 0, "sandbox": "none", "sandbox_layers": [],
    "environment": {"python": "3.11", "torch": "2.13.0", "numpy": "2.4", "platform": "linux"},
    "exercises": [{"id": "exercise1", "title": "Two-layer network in numpy", "score": 12.5, "max_score": 30,
                   "checks": [
                       {"id": "forward", "name": "test_forward", "score": 10, "max_score": 10, "status": "passed",
                        "message": "", "hint": None, "visibility": "visible", "duration_s": 0.01},
                       {"id": "loss", "name": "test_loss", "score": 2.5, "max_score": 10, "status": "failed",
                        "message": "loss(y_pred, y): value differs", "hint": "sum, not mean",
                        "visibility": "visible", "duration_s": 0.02,
                        "reproduce": "grade exercise1 --seed 0 -k loss"},
                       {"id": "backward_other_sizes", "name": "test_backward_other_sizes", "score": 0,
                        "max_score": 10, "status": "timeout", "message": "did not return", "hint": None,
                        "visibility": "hidden", "duration_s": 10.0, "reproduce": "grade exercise1 --seed 0 -k b"},
                   ]}],
}


def test_text_shows_points_messages_hints_and_reproduce():
    text = click.unstyle(renderer("text")(DOCUMENT))
    assert "PASS  forward" in text and "FAIL  loss" in text and "2.5/10" in text
    assert "hint: sum, not mean" in text and "reproduce: grade exercise1 --seed 0 -k loss" in text
    assert "(hidden)" in text and "total 12.5/30" in text


def test_classroom_reporter_lines_one_per_exercise_and_the_whole():
    two = {**DOCUMENT, "score": 22.5, "max_score": 40, "exercises": [*DOCUMENT["exercises"], {
        "id": "exercise5", "title": "Pooling", "score": 10, "max_score": 10, "checks": [
            {"id": "pool2d", "name": "test_pool2d", "score": 10, "max_score": 10, "status": "passed",
             "message": "", "hint": None, "visibility": "visible", "duration_s": 0.01}]}]}
    lines = dict(line.split("=", 1) for line in renderer("classroom")(two).splitlines())
    assert list(lines) == ["exercise1", "exercise5", "result"]
    payloads = {name: json.loads(base64.b64decode(value)) for name, value in lines.items()}
    one = payloads["exercise1"]
    assert one["version"] == 1 and one["status"] == "fail" and one["max_score"] == 30
    assert [t["score"] for t in one["tests"]] == [10, 2.5, 0]
    assert all(isinstance(t["score"], (int, float)) for t in one["tests"])
    assert payloads["exercise5"]["status"] == "pass" and payloads["exercise5"]["max_score"] == 10
    assert payloads["result"]["max_score"] == 40 and len(payloads["result"]["tests"]) == 4


def test_classroom50_uses_integer_points_never_above_the_maximum():
    result = json.loads(renderer("classroom50")(DOCUMENT))
    assert result["schema"] == "classroom50/result/v1"
    assert all(type(t["score"]) is int and type(t["max-score"]) is int for t in result["tests"])
    assert result["score"] == 12 and result["max-score"] == 30
    assert [t["passed"] for t in result["tests"]] == [True, False, False]


def test_gradescope_and_prairielearn():
    gs = json.loads(renderer("gradescope")(DOCUMENT))
    assert gs["score"] == 12.5 and gs["tests"][2]["visibility"] == "after_published"
    assert "backward_other_sizes" not in gs["output"] and "\x1b[" not in gs["output"]  # hidden until published
    assert "total 12.5/20" in gs["output"]
    assert gs["tests"][1]["status"] == "failed" and "hint: sum, not mean" in gs["tests"][1]["output"]
    pl = json.loads(renderer("prairielearn")(DOCUMENT))
    assert pl["score"] == pytest.approx(12.5 / 30) and pl["gradable"] is True


def test_every_format_renders():
    for name in FORMATS:
        assert renderer(name)(DOCUMENT)


def test_a_long_reproduce_command_is_never_wrapped():
    document = {**DOCUMENT, "exercises": [dict(DOCUMENT["exercises"][0])]}
    long = "grade exercise1 --submission /tmp/" + "x" * 120 + "/exercises --seed 0 -k loss"
    document["exercises"][0]["checks"] = [dict(c, reproduce=long) if c["id"] == "loss" else c
                                          for c in DOCUMENT["exercises"][0]["checks"]]
    assert f"reproduce: {long}\n" in click.unstyle(renderer("text")(document))


def test_a_chinese_document_is_said_in_chinese_and_wrapped_by_columns():
    long = "，".join(["对 (h - kh + 1, w - kw + 1) 输出中的每个 i, j：Y[i, j] = (X[i:i + kh, j:j + kw] * K).sum()"] * 3)
    check = {**DOCUMENT["exercises"][0]["checks"][1], "translation": {"message": long, "hint": "求和，不是取平均"}}
    document = {**DOCUMENT, "lang": "zh", "exercises": [{**DOCUMENT["exercises"][0], "checks": [check]}]}
    text = click.unstyle(render(document))
    assert "失败" in text and "提示：求和，不是取平均" in text and "复现：grade exercise1 --seed 0 -k loss" in text
    assert "合计 12.5/30" in text and "沙箱：" in text
    columns = [sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line) for line in text.splitlines()]
    assert max(columns) <= 100
    assert "".join(line.strip() for line in text.splitlines()).count("sum()") == 3  # wrapped, nothing lost
