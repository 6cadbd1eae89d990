"""Every line a student reads, in English and 简体中文, from gettext catalogs.

A message is written once, in English, as a ``str.format`` template whose values stay
parameters: ``_("{name}: shape {got}, expected {want}", name=..., got=..., want=...)``.
That returns a ``Text``: a ``str`` holding the English (so code that handles messages as
text, and the JSON document, see English as before) that also remembers its template and
values, so ``localize(text, "zh")`` can say the same thing in Chinese with the very same
numbers.  A value that is itself a ``Text`` (a check's description inside a message) is
translated too.  ``N_`` marks a template that gets its values later.

The catalogs: ``autograder/locale/<lang>/LC_MESSAGES/torchgrade.po`` are the sources,
the ``.mo`` beside them what runs (stdlib ``gettext``).  In development, Babel extracts and
compiles them (the commands are in ``docs/translating.md``); ``tests/test_i18n.py`` fails on a
message without a translation, naming it, and on a translation whose placeholders differ.
"""
from __future__ import annotations

import functools
import gettext
from pathlib import Path
from typing import Any, Iterable, Mapping

DOMAIN = "torchgrade"
LOCALE_DIR = Path(__file__).with_name("locale")
LANGS = ("en", "zh")  # en: the messages as written; zh: 简体中文
_ENVIRONMENT = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")  # gettext's order: the first one set decides


class Text(str):
    """English text that can be said again in another language (see the module's doc)."""

    def __new__(cls, msgid: str, params: Mapping[str, Any] | None = None) -> "Text":
        params = dict(params or {})
        self = super().__new__(cls, msgid.format(**params))
        self.msgid = msgid
        self.params = params
        return self

    def __getnewargs__(self) -> tuple:  # pickling and copying rebuild it from its template
        return self.msgid, self.params

    def localize(self, lang: str) -> str:
        return localize(self, lang)


def _(msgid: str, **params: Any) -> Text:
    """The message ``msgid`` (English, a ``str.format`` template) with its values."""
    return Text(msgid, params)


def join(separator: str, parts: Iterable[Any]) -> Text:
    """``separator.join(parts)`` that keeps each part translatable (lines of a message)."""
    parts = list(parts)
    escaped = separator.replace("{", "{{").replace("}", "}}")
    return Text(escaped.join(f"{{p{i}}}" for i in range(len(parts))), {f"p{i}": part for i, part in enumerate(parts)})


def said(entry: Mapping[str, Any], key: str) -> str:
    """A document entry's ``key`` (a check's message, an exercise's title) in the document's
    language: its ``translation`` when it has one, else the English."""
    return (entry.get("translation") or {}).get(key) or entry.get(key) or ""


def N_(msgid: str) -> str:
    """Mark ``msgid`` for the catalog; its values come later (``_(msgid, **values)``)."""
    return msgid


def localize(value: Any, lang: str) -> str:
    """``value`` as read in ``lang``: a ``Text`` translated (its ``Text`` values too), any
    other value as it is (a student's own exception message is not ours to translate)."""
    if not isinstance(value, Text) or lang == "en":
        return "" if value is None else str(value)
    params = {k: localize(v, lang) if isinstance(v, Text) else v for k, v in value.params.items()}
    return catalog(lang).gettext(value.msgid).format(**params)


@functools.lru_cache(maxsize=None)
def catalog(lang: str) -> gettext.NullTranslations:
    if _known(lang) == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[lang])


def language(option: str | None, environ: Mapping[str, str]) -> str:
    """The language to speak: ``option`` when given (``--lang``), otherwise Chinese when the
    locale (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``: the first one set) is a
    ``zh`` one, otherwise English."""
    if option:
        return _known(option)
    for name in _ENVIRONMENT:
        value = environ.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def _known(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: choose from {', '.join(LANGS)}")
    return lang
