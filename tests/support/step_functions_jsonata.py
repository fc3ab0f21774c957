"""JSONata as Step Functions evaluates it, on jsonata-python: the standard library plus the function Step
Functions adds that the definitions use. Every test that evaluates a rendered expression compiles it here.

- `$parse(text)`: "deserialize a JSON string" (Step Functions developer guide, "Transforming data with JSONata
  in Step Functions", JSONata functions provided by Step Functions; it replaces `$eval`, which Step Functions
  does not offer). What AWS raises for text that is no JSON no source settles: the definitions never hand it
  any (components/documents/attempts.py), and docs/self-test.md lists it.
"""

from __future__ import annotations

import json
from typing import Any

import jsonata


def _parse(text: Any) -> Any:
    if not isinstance(text, str):
        raise ValueError(f"$parse expects a string, got {type(text).__name__}")
    return json.loads(text)


def compiled(expression: str) -> jsonata.Jsonata:
    """`expression` (without `{% %}`) ready to evaluate, with Step Functions' functions bound."""
    compiled_expression = jsonata.Jsonata(expression)
    compiled_expression.register_lambda("parse", _parse)
    return compiled_expression
