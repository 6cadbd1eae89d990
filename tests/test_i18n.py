"""The catalogs and the Text that carries a message into another language (autograder.i18n)."""
from __future__ import annotations

import ast
import copy
import gettext
import pickle
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import autograder
from autograder import i18n
from autograder.i18n import Text, _, join, language, localize, said

PACKAGE = Path(autograder.__file__).parent
PO = i18n.LOCALE_DIR / "zh" / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
MO = PO.with_suffix(".mo")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _catalog():
    with PO.open("rb") as f:
        return read_po(f, locale="zh")


def _used() -> dict[str, str]:
    """Every message id the engine and the suites use -> where (as Babel extracts them)."""
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(PACKAGE), method_map=[("**.py", "python")], keywords={"_": None, "N_": None}):
        found.setdefault(message, f"autograder/{filename}:{lineno}")
    return found


def _fields(template: str) -> list[tuple]:
    return sorted((name, conversion, spec) for _text, name, spec, conversion in string.Formatter().parse(template)
                  if name is not None)


def test_every_message_in_use_has_a_chinese_translation():
    catalog, used = _catalog(), _used()
    missing = [f"{where}: {message!r}" for message, where in sorted(used.items(), key=lambda kv: kv[1])
               if message not in catalog or not catalog[message].string or catalog[message].fuzzy]
    assert not missing, "messages without a zh translation (see docs/translating.md):\n" + "\n".join(missing)
    assert len(used) > 500  # the extraction found the suites' messages, not an empty tree


def test_translations_keep_every_placeholder():
    wrong = [f"{m.id!r} -> {m.string!r}" for m in _catalog() if m.id and _fields(m.id) != _fields(m.string)]
    assert not wrong, "placeholders differ (name, conversion or format):\n" + "\n".join(wrong)


def test_the_compiled_catalog_is_the_po_file():
    """The .mo that runs says exactly what the .po says (`pybabel compile` after every edit)."""
    compiled = gettext.GNUTranslations(MO.open("rb"))
    stale = [m.id for m in _catalog() if m.id and compiled.gettext(m.id) != m.string]
    assert not stale, f"{MO.name} is out of date for {len(stale)} messages, e.g. {stale[:3]}"


def test_no_message_is_built_inside_an_f_string():
    """Babel cannot see a _() call in an f-string's braces: its message would never be translated."""
    hidden = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Call) and getattr(inner.func, "id", None) in ("_", "N_"):
                        hidden.append(f"{path.relative_to(PACKAGE)}:{inner.lineno}")
    assert not hidden, hidden


def test_text_is_the_english_string_and_translates_with_the_same_values():
    text = _("{name}: shape {shape}, expected {shape2}", name=_("the gradient of {name}.{pname}", name="Conv2D",
                                                                pname="weight"), shape=(3, 2), shape2=(2, 3))
    assert text == "the gradient of Conv2D.weight: shape (3, 2), expected (2, 3)"
    assert isinstance(text, str) and localize(text, "en") == text
    assert localize(text, "zh") == "Conv2D.weight 的梯度：形状为 (3, 2)，应为 (2, 3)"


def test_text_survives_pickling_copying_and_joining():
    text = _("value at index {index} differs", index=[1, 2])
    for again in (pickle.loads(pickle.dumps(text)), copy.deepcopy(text)):
        assert again == text and localize(again, "zh") == localize(text, "zh")
    lines = join("\n", [_("no hidden checks"), "{not a placeholder}"])
    assert lines == "no hidden checks\n{not a placeholder}"
    assert localize(lines, "zh") == "没有隐藏检查\n{not a placeholder}"


def test_a_plain_string_is_left_as_it_is():
    """A student's own exception message is not ours to translate."""
    assert localize("ZeroDivisionError: division by zero", "zh") == "ZeroDivisionError: division by zero"
    assert localize(None, "zh") == ""


@pytest.mark.parametrize("environ, option, expected", [
    ({}, None, "en"),
    ({"LANG": "zh_CN.UTF-8"}, None, "zh"),
    ({"LANG": "zh_CN.UTF-8"}, "en", "en"),
    ({"LANG": "en_US.UTF-8"}, "zh", "zh"),
    ({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, None, "zh"),
    ({"LANGUAGE": "en:zh", "LC_ALL": "zh_CN.UTF-8"}, None, "en"),  # gettext's order: LANGUAGE first
    ({"LANGUAGE": "zh_CN:en", "LANG": "C.UTF-8"}, None, "zh"),
    ({"LANG": "C.UTF-8"}, None, "en"),
])
def test_language_comes_from_the_option_then_the_locale(environ, option, expected):
    assert language(option, environ) == expected


def test_an_unknown_language_is_refused_by_name():
    with pytest.raises(ValueError, match="'fr'"):
        language("fr", {})


def test_said_prefers_the_translation():
    assert said({"message": "m", "translation": {"message": "消息"}}, "message") == "消息"
    assert said({"message": "m"}, "message") == "m"
    assert said({"hint": None}, "hint") == ""


def test_no_translation_is_the_english_copied():
    """A msgstr equal to its msgid is fine for pure code, not for a sentence."""
    english = re.compile(r"\b(the|of|with|must|your|you|expected|returned)\b")
    copied = [m.id for m in _catalog() if m.id and m.string == m.id and english.search(re.sub(r"\{[^}]*\}", "", m.id))]
    assert not copied, copied


def test_a_known_exception_hint_is_filled_in_either_language():
    from autograder.checks.raised import known_mistake_hint
    hint = known_mistake_hint("ValueError", "not enough values to unpack (expected 2, got 1)")
    assert hint.startswith("a tensor had fewer dimensions (1) than the 2 names")
    assert localize(hint, "zh").startswith("张量的维数（1）少于你用来解包其形状的 2 个名字")
