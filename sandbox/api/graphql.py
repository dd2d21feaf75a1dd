"""A small GraphQL reader: enough of the language for Shopify Admin mutations and lookups.

The emulator only has to understand what destinations send — operations with
optional variables, aliased fields with arguments and nested selections — so
this parses that subset (no fragments or directives) into plain objects and
reports anything else as a parse error rather than guessing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(
    r"""
    (?P<ws>[\s,\ufeff]+|\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
  | (?P<punct>\.\.\.|[{}()\[\]:!$=@])
    """,
    re.VERBOSE,
)


class GraphQLError(Exception):
    pass


@dataclass
class Field:
    alias: str
    name: str
    args: dict[str, Any] = field(default_factory=dict)
    selections: list[Field] = field(default_factory=list)


@dataclass
class Operation:
    kind: str  # "query" | "mutation"
    fields: list[Field]


@dataclass(frozen=True)
class Var:
    name: str


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise GraphQLError(f"Parse error on {text[pos : pos + 10]!r} at offset {pos}")
        pos = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup or "", m.group()))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, value: str | None = None, kind: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (value and tok[1] != value) or (kind and tok[0] != kind):
            got = tok[1] if tok else "end of document"
            raise GraphQLError(f"Parse error on {got!r} (expected {value or kind})")
        self.i += 1
        return tok[1]

    def operation(self) -> Operation:
        kind = "query"
        tok = self.peek()
        if tok and tok[1] in ("query", "mutation"):
            kind = self.take()
            if self.peek() and self.peek()[0] == "name":  # type: ignore[index]
                self.take()
            if self.peek() and self.peek()[1] == "(":  # type: ignore[index]
                self._skip_var_defs()
        fields = self.selection_set()
        if self.peek() is not None:
            raise GraphQLError("Only one operation per document is supported")
        return Operation(kind, fields)

    def _skip_var_defs(self) -> None:
        depth = 0
        while True:
            value = self.take()
            depth += {"(": 1, ")": -1}.get(value, 0)
            if depth == 0:
                return

    def selection_set(self) -> list[Field]:
        self.take("{")
        fields = []
        while self.peek() and self.peek()[1] != "}":  # type: ignore[index]
            if self.peek()[1] in ("...", "@"):  # type: ignore[index]
                raise GraphQLError("Fragments and directives are not supported")
            name = self.take(kind="name")
            alias = name
            if self.peek() and self.peek()[1] == ":":  # type: ignore[index]
                self.take(":")
                name = self.take(kind="name")
            f = Field(alias, name)
            if self.peek() and self.peek()[1] == "(":  # type: ignore[index]
                self.take("(")
                while self.peek()[1] != ")":  # type: ignore[index]
                    arg = self.take(kind="name")
                    self.take(":")
                    f.args[arg] = self.value()
                self.take(")")
            if self.peek() and self.peek()[1] == "{":  # type: ignore[index]
                f.selections = self.selection_set()
            fields.append(f)
        self.take("}")
        return fields

    def value(self) -> Any:
        kind, text = self.peek() or ("", "")
        if text == "$":
            self.take()
            return Var(self.take(kind="name"))
        if kind == "string":
            self.take()
            return json.loads(text)
        if kind == "number":
            self.take()
            return json.loads(text)
        if text == "[":
            self.take()
            items = []
            while self.peek()[1] != "]":  # type: ignore[index]
                items.append(self.value())
            self.take("]")
            return items
        if text == "{":
            self.take()
            obj = {}
            while self.peek()[1] != "}":  # type: ignore[index]
                key = self.take(kind="name")
                self.take(":")
                obj[key] = self.value()
            self.take("}")
            return obj
        if kind == "name":
            self.take()
            return {"true": True, "false": False, "null": None}.get(text, text)
        raise GraphQLError(f"Parse error on {text!r}")


def parse(text: str) -> Operation:
    return _Parser(text).operation()


def resolve(value: Any, variables: dict[str, Any]) -> Any:
    """Substitute variables into an argument value."""
    if isinstance(value, Var):
        if value.name not in variables:
            raise GraphQLError(f"Variable ${value.name} was not provided")
        return variables[value.name]
    if isinstance(value, list):
        return [resolve(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, variables) for k, v in value.items()}
    return value


def select(result: Any, selections: list[Field]) -> Any:
    """Shape a resolved object by the client's selection set (aliases included)."""
    if not selections or result is None:
        return result
    if isinstance(result, list):
        return [select(item, selections) for item in result]
    return {f.alias: select(result.get(f.name), f.selections) for f in selections}
