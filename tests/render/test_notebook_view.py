"""The notebook view of a document: an HTML table and Markdown with every check's feedback."""
from __future__ import annotations

from autograder.render.notebook import render_html, render_markdown
from test_render import DOCUMENT

HOSTILE = {**DOCUMENT, "exercises": [{**DOCUMENT["exercises"][0], "checks": [
    {**DOCUMENT["exercises"][0]["checks"][1], "message": "got <script>alert(1)</script> | x"}]}]}


def test_html_shows_status_points_message_hint_reproduce_and_total():
    page = render_html(DOCUMENT)
    assert page.count("<tr>") == 4 + 1  # the header, three checks and the total
    assert ">FAIL<" in page and ">PASS<" in page and ">TIME<" in page
    assert "2.5/10" in page and "<b>12.5/30</b>" in page
    assert "loss(y_pred, y): value differs" in page and "<b>hint:</b> sum, not mean" in page
    assert "<code>grade exercise1 --seed 0 -k loss</code>" in page and "<i>(hidden)</i>" in page
    passed_row = page.split("<code>forward</code>")[1].split("</tr>")[0]
    assert "reproduce" not in passed_row  # nothing to do for a passed check


def test_student_text_is_escaped():
    page, markdown = render_html(HOSTILE), render_markdown(HOSTILE)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<script>" not in markdown and "\\| x" in markdown


def test_markdown_is_one_table_row_per_check():
    rows = [line for line in render_markdown(DOCUMENT).splitlines() if line.startswith("| **")]
    assert len(rows) == 3 and rows[1].startswith("| **FAIL** | `loss` | 2.5/10 |")
    assert "hint: sum, not mean<br>reproduce: grade exercise1 --seed 0 -k loss" in rows[1]


def test_a_chinese_document_renders_its_translations():
    check = {**DOCUMENT["exercises"][0]["checks"][1],
             "translation": {"message": "loss(y_pred, y)：值不同", "hint": "求和，不是取平均"}}
    document = {**DOCUMENT, "lang": "zh", "exercises": [{**DOCUMENT["exercises"][0], "checks": [check],
                                                          "translation": {"title": "热身"}}]}
    page, markdown = render_html(document), render_markdown(document)
    assert "<th>状态</th><th>检查</th><th>得分</th><th>反馈</th>" in page and "— 热身</h4>" in page
    assert ">失败<" in page and "loss(y_pred, y)：值不同" in page and "<b>提示：</b> 求和，不是取平均" in page
    assert "复现： <code>grade exercise1 --seed 0 -k loss</code>" in page and "<b>合计</b>" in page
    assert "| **失败** | `loss` | 2.5/10 | loss(y_pred, y)：值不同<br>提示：求和，不是取平均<br>复现：grade" in markdown
