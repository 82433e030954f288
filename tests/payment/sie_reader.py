"""An SIE 4 reader for the tests, written from the format's description and independent of
services.payment.domain.sie: it tokenises each line itself (quoted strings with backslash
escapes, {object lists}) and reads amounts as Decimal."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\{[^}]*\})|(\S+)')


def tokens(line: str) -> list[str]:
    out: list[str] = []
    for quoted, braces, plain in TOKEN.findall(line):
        if braces:
            out.append(braces)
        elif plain:
            out.append(plain)
        else:
            out.append(re.sub(r"\\(.)", r"\1", quoted))
    return out


@dataclass
class Ver:
    head: list[str]
    trans: list[tuple[str, dict[str, str], Decimal]] = field(default_factory=list)


@dataclass
class Sie:
    labels: dict[str, list[list[str]]] = field(default_factory=dict)
    vers: list[Ver] = field(default_factory=list)


def parse(data: bytes) -> Sie:
    text = data.decode("cp437")
    assert "\r\n" in text
    sie = Sie()
    current: Ver | None = None
    inside = False
    for raw in text.split("\r\n"):
        line = raw.strip()
        if not line:
            continue
        if line == "{":
            assert current is not None and not inside
            inside = True
            continue
        if line == "}":
            assert inside
            inside, current = False, None
            continue
        t = tokens(line)
        label, rest = t[0], t[1:]
        if inside:
            assert label == "#TRANS", line
            assert current is not None
            objs = tokens(rest[1][1:-1]) if rest[1] != "{}" else []
            pairs = dict(zip(objs[::2], objs[1::2], strict=True))
            assert re.fullmatch(r"-?\d+\.\d{2}", rest[2]), rest[2]
            current.trans.append((rest[0], pairs, Decimal(rest[2])))
            continue
        if label == "#VER":
            current = Ver(rest)
            sie.vers.append(current)
        sie.labels.setdefault(label, []).append(rest)
    assert not inside
    return sie
