"""Validate a mapping file against its JSON Schema and explain every mistake by file, line, key."""

from __future__ import annotations

import difflib
from typing import Any

import jsonschema

from ..errors import MappingError
from .schema import schemas
from .yamlfile import Located


class MappingErrors(MappingError):
    """Several mistakes found at once; ``str()`` gives one line per mistake."""

    def __init__(self, errors: list[MappingError]):
        self.errors = errors
        super().__init__("\n".join(e.render() for e in errors))

    def render(self) -> str:  # every mistake on its own line
        return "\n".join(e.render() for e in getattr(self, "errors", [])) or self.message


def _allowed(schema: dict[str, Any]) -> list[str]:
    return sorted((schema.get("properties") or {}).keys())


def _explain(err: jsonschema.ValidationError) -> tuple[list[Any], str]:
    """A path and a message a mapping author understands."""
    path = list(err.absolute_path)
    v = err.validator
    if v == "additionalProperties" and isinstance(err.instance, dict):
        allowed = _allowed(err.schema)
        extra = [k for k in err.instance if k not in allowed]
        key = extra[0] if extra else None
        hint = difflib.get_close_matches(str(key), allowed, n=1) if key else []
        msg = f"unknown key '{key}'"
        if hint:
            msg += f" (did you mean '{hint[0]}'?)"
        msg += f"; allowed here: {', '.join(allowed)}"
        return path + ([key] if key else []), msg
    if v == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return path, f"missing required key '{missing}'"
    if v == "enum":
        choices = err.validator_value
        hint = difflib.get_close_matches(str(err.instance), [str(c) for c in choices], n=1)
        msg = f"{err.instance!r} is not one of the allowed values"
        if hint:
            msg += f" (did you mean '{hint[0]}'?)"
        if len(choices) <= 40:
            msg += f": {', '.join(str(c) for c in choices)}"
        return path, msg
    if v == "const" and path and path[-1] == "method":
        return path, f"method {err.instance!r} does not fit here"
    if v == "type":
        return path, f"{err.instance!r} should be of type {err.validator_value}"
    if v == "pattern":
        desc = err.schema.get("description")
        return path, (f"{err.instance!r} is not valid here" + (f": expected {desc}" if desc else
                                                               f" (pattern {err.validator_value})"))
    if v == "maxLength":
        return path, f"{err.instance!r} is longer than {err.validator_value} characters"
    if v in ("oneOf", "anyOf") and err.context:
        best = jsonschema.exceptions.best_match(err.context)
        if best is not None and best.validator not in ("oneOf", "anyOf"):
            sub_path, msg = _explain(best)
            return path + sub_path[len(path):] if sub_path[:len(path)] == path else sub_path, msg
        return path, "does not match any allowed form here"
    if v == "propertyNames":
        return path, err.message
    return path, err.message


def _node(data: Any, path: list[Any]) -> Any:
    for k in path:
        try:
            data = data[k]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def check(doc: Located, kind: str | dict[str, Any]) -> None:
    """Raise :class:`MappingErrors` listing every schema violation of ``doc``: ``kind`` names one
    of the language's schemas (``study``, ``dataset``, ``codelists``) or is a schema itself."""
    schema = schemas()[kind] if isinstance(kind, str) else kind
    validator = jsonschema.Draft202012Validator(schema)
    found: dict[tuple[Any, ...], MappingError] = {}
    for err in sorted(validator.iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path))):
        if err.validator in ("if", "allOf") and err.context:
            subs = list(err.context)
        else:
            subs = [err]
        for sub in subs:
            path, msg = _explain(sub)
            node = _node(doc.data, path)
            if isinstance(node, dict) and isinstance(sub.instance, str) and sub.instance in node:
                path = [*path, sub.instance]      # a bad key name: point at the key itself
                msg = f"key name {msg}"
            t = tuple(path)
            if t in found:
                continue
            found[t] = doc.error(path, msg)
    if found:
        errors = sorted(found.values(), key=lambda e: (e.line or 0, e.key or ""))
        raise MappingErrors(errors)
