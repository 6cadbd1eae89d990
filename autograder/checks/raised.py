"""Exceptions that are themselves the signature of a known mistake, and their hints.

When student code raises, the message says what and where; these rules add *why*, for the
mistakes a first course makes over and over.  A rule is the exception's type, a pattern its
message matches, and the hint: a template (``N_``) filled with the pattern's named groups.
The first match wins; no match leaves the check's own hint.
"""
from __future__ import annotations

import re

from autograder.i18n import N_, Text, _

RULES: tuple[tuple[str, re.Pattern, str], ...] = (
    ("AttributeError", re.compile(r"'(?P<kind>\w+)' object has no attribute '(?P<attr>weight|bias)'"),
     N_("net.apply(f) calls f on every module, activations and containers included (a {kind} has no "
        "{attr}): check the module's type first, e.g. `if isinstance(m, nn.Linear):`")),
    ("AttributeError", re.compile(r"'(?P<kind>\w+)' object has no attribute 'items'"),
     N_("a {kind} was treated as a dict: only an OrderedDict argument has .items(), so check "
        "`len(args) == 1 and isinstance(args[0], OrderedDict)` before reading it as one")),
    ("ValueError", re.compile(r"too many values to unpack \(expected (?P<names>\d)\)"),
     N_("a tensor had more dimensions than the {names} names you unpacked its shape into: inputs may "
        "have leading dimensions, e.g. (c, h, w) where you expected (h, w); take the last ones "
        "(`h, w = X.shape[-2:]`) and keep the others")),
    ("RuntimeError", re.compile(r"element 0 of tensors does not require grad"),
     N_("backward() was called on a result without a graph: gradients were off (inside torch.no_grad(), "
        "or inputs that do not require grad). Where autograd is not allowed, compute the gradients by hand")),
    ("ValueError", re.compile(r"not enough values to unpack \(expected (?P<names>\d), got (?P<dims>\d)\)"),
     N_("a tensor had fewer dimensions ({dims}) than the {names} names you unpacked its shape into: "
        "check which input you unpacked, and its documented shape")),
)


def known_mistake_hint(kind: str, message: str) -> Text | None:
    """The hint for an exception of type ``kind`` with ``message``, if it is a known mistake."""
    for rule_kind, pattern, hint in RULES:
        if kind == rule_kind:
            found = pattern.search(message)
            if found:
                return _(hint, **found.groupdict())
    return None
