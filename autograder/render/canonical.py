"""The canonical JSON document itself."""
from __future__ import annotations

import json


def render(document: dict) -> str:
    return json.dumps(document, indent=2)
