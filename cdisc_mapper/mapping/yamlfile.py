"""Read a YAML mapping file as plain data, remembering the line of every key.

Mapping files are data written by users, so they are read with PyYAML's *composer* only: no
constructor runs, no tag is honoured (a ``!!python/...`` tag is an error), and the result holds only
dicts, lists, strings, numbers, booleans and None.  Scalars follow the YAML 1.2 core schema, not
YAML 1.1: ``Yes``, ``No``, ``Y``, ``N``, ``on`` and ``NO`` stay strings (a country code or a CRF
answer must not turn into a boolean); only ``true``/``false`` are booleans.  A key written twice
in one mapping is an error, as are anchors and aliases (they make the line of a value ambiguous).

:class:`Located` carries the data and a map from each JSON path (a tuple of keys and indexes) to
its line, so that schema errors and method errors can be reported as ``file:line``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import MappingError

_INT = re.compile(r"[-+]?[0-9]+$")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_NULL = {"", "~", "null", "Null", "NULL"}
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_STR_TAG = "tag:yaml.org,2002:str"
_PLAIN_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
               "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:map",
               "tag:yaml.org,2002:seq", "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value",
               "tag:yaml.org,2002:merge"}

Path_ = tuple[Any, ...]


@dataclass
class Located:
    """Plain data read from a file, with the line (1-based) of every node by JSON path."""

    data: Any
    file: str
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, path: Path_) -> int | None:
        """The line of the node at ``path``, or of its nearest ancestor that has one."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get((), 1)

    def error(self, path: Path_, message: str, **kw: Any) -> MappingError:
        """A MappingError located at ``path``."""
        key = ".".join(str(k) for k in path) if path else None
        return MappingError(message, file=self.file, line=self.line(path), key=key, **kw)

    def sub(self, path: Path_) -> "Located":
        """The part of the document under ``path`` (lines keep their absolute numbers)."""
        node = self.data
        for k in path:
            node = node[k]
        n = len(path)
        lines = {p[n:]: ln for p, ln in self.lines.items() if p[:n] == tuple(path)}
        return Located(node, self.file, lines)


def _scalar(node: yaml.ScalarNode, file: str) -> Any:
    if node.tag not in _PLAIN_TAGS:
        raise MappingError(f"YAML tag {node.tag!r} is not allowed in a mapping file "
                           "(mapping files are data; no tags)", file=file,
                           line=node.start_mark.line + 1)
    value = node.value
    if node.style is not None:
        return value                      # quoted or block scalar: always a string
    if value in _NULL:
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT.match(value):
        return int(value)
    if _FLOAT.match(value) and any(c.isdigit() for c in value):
        return float(value)
    return value


def _convert(node: yaml.Node, file: str, path: Path_, lines: dict[Path_, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node, file)
    if node.tag not in _PLAIN_TAGS:
        raise MappingError(f"YAML tag {node.tag!r} is not allowed in a mapping file "
                           "(mapping files are data; no tags)", file=file,
                           line=node.start_mark.line + 1)
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, file, path + (i,), lines) for i, item in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise MappingError("a key must be a plain name, not a list or a mapping",
                                   file=file, line=key_node.start_mark.line + 1)
            if key_node.value == "<<":
                raise MappingError("YAML merge keys ('<<') are not allowed in a mapping file",
                                   file=file, line=key_node.start_mark.line + 1)
            key = key_node.value          # keys are always strings
            if key in out:
                raise MappingError(f"key '{key}' is written twice in the same mapping",
                                   file=file, line=key_node.start_mark.line + 1, key=key)
            out[key] = _convert(value_node, file, path + (key,), lines)
            lines[path + (key,)] = key_node.start_mark.line + 1
        return out
    raise MappingError(f"unsupported YAML node {type(node).__name__}", file=file,
                       line=node.start_mark.line + 1)


MAX_BYTES = 5 * 1024 * 1024
"""The largest mapping file read (a study's largest is a few kB; beyond this it is not a mapping)."""
MAX_DEPTH = 64
"""The deepest nesting of lists and mappings read (a mapping file needs fewer than 10 levels)."""


class _NoAliasComposer(yaml.SafeLoader):
    _depth = 0

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise MappingError("YAML aliases ('*name') are not allowed in a mapping file; write "
                               "the value out", line=event.start_mark.line + 1)
        if self._depth >= MAX_DEPTH:
            event = self.peek_event()
            raise MappingError(f"lists and mappings are nested more than {MAX_DEPTH} levels "
                               "deep; a mapping file needs only a few",
                               line=event.start_mark.line + 1)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_CComposer = getattr(yaml, "CSafeLoader", None)
_FAST_MAX_LINE = 1000
_FAST_MAX_FLOW = 1000


def _fast_node(text: str) -> yaml.Node | None:
    """The document's node tree from libyaml's composer (the same nodes, tags and marks as the
    pure-Python one, plain style as None, about ten times faster), or None to let the Python composer read it:
    when libyaml is absent, the text may nest deeper than the checked limit, or it has an
    error, an alias or nesting beyond :data:`MAX_DEPTH` (the Python composer reports those)."""
    if _CComposer is None or not text:
        return None
    # nesting is bounded by the indentation and the flow brackets: keep libyaml's recursive
    # composer far from its stack limit
    if max(map(len, text.splitlines()), default=0) > _FAST_MAX_LINE or \
            text.count("[") + text.count("{") > _FAST_MAX_FLOW:
        return None
    loader = _CComposer(text)
    try:
        node = loader.get_single_node()
    except Exception:
        return None
    finally:
        loader.dispose()
    if node is None:
        return None
    seen: set[int] = set()
    stack = [(node, 1)]
    while stack:
        n, depth = stack.pop()
        if id(n) in seen or depth > MAX_DEPTH:
            return None            # an alias (a node met twice) or too deep: the slow path says so
        seen.add(id(n))
        if isinstance(n, yaml.ScalarNode):
            if n.style == "":
                n.style = None     # libyaml's plain style, as the Python composer writes it
        elif isinstance(n, yaml.SequenceNode):
            stack.extend((x, depth + 1) for x in n.value)
        elif isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                stack.append((k, depth + 1))
                stack.append((v, depth + 1))
    return node


def load_text(text: str, file: str) -> Located:
    """Parse YAML text into :class:`Located` plain data."""
    try:
        loader = _NoAliasComposer(text)
    except yaml.reader.ReaderError as e:            # a control character, checked up front
        line = text.count("\n", 0, e.position) + 1 if isinstance(e.position, int) else None
        ch = chr(e.character) if isinstance(e.character, int) else str(e.character)
        raise MappingError(f"not valid YAML: character U+{ord(ch[:1] or ' '):04X} is not allowed in a "
                           "mapping file", file=file, line=line) from None
    node = _fast_node(text)
    try:
        if node is None:
            node = loader.get_single_node()
    except MappingError as e:
        raise MappingError(e.message, file=file, line=e.line) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        raise MappingError(f"not valid YAML: {e.problem or e.context}", file=file,
                           line=line) from None
    except yaml.YAMLError as e:
        raise MappingError(f"not valid YAML: {e}", file=file) from None
    finally:
        loader.dispose()
    lines: dict[Path_, int] = {}
    data = {} if node is None else _convert(node, file, (), lines)
    return Located(data, file, lines)


def load_file(path: Path, display: str | None = None) -> Located:
    """Read and parse a YAML file; errors name ``display`` (default: the path as given)."""
    name = display or str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_BYTES:
            raise MappingError(f"file is {size / 1024 / 1024:.1f} MB; a mapping file is at most "
                               f"{MAX_BYTES // 1024 // 1024} MB (is this the right file?)",
                               file=name)
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MappingError("file not found", file=name) from None
    except IsADirectoryError:
        raise MappingError("is a folder, not a mapping file", file=name) from None
    except PermissionError:
        raise MappingError("permission denied: the file cannot be read", file=name) from None
    except UnicodeDecodeError as e:
        raise MappingError(f"not UTF-8 text ({e.reason} at byte {e.start})", file=name) from None
    return load_text(text, name)
