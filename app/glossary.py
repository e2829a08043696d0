"""The EN ↔ RU glossary (`app/content/glossary.toml`): loading, search, and the scan for ruled-out words."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

GLOSSARY_FILE = Path(__file__).resolve().parent / "content" / "glossary.toml"
_CODE = re.compile(r"```.*?```|`[^`\n]*`|\$\$.*?\$\$|\$[^$\n]*\$|\{\w*(?::[^}]*)?\}", re.S)  # code, LaTeX, {placeholders}


@dataclass(frozen=True)
class Term:
    key: str
    en: str
    ru: str
    ruled_out: tuple[str, ...]
    section: str
    en_def: str
    ru_def: str
    note_en: str = ""
    note_ru: str = ""
    forbid: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()


@cache
def terms() -> tuple[Term, ...]:
    with GLOSSARY_FILE.open("rb") as f:
        raw = tomllib.load(f)["terms"]
    return tuple(Term(**{k: tuple(v) if isinstance(v, list) else v for k, v in t.items()}) for t in raw)


def search(query: str, entries=None) -> list[Term]:
    """Terms whose EN or RU name, ruled-out variants or definitions contain `query` (any case)."""
    q = query.strip().casefold()
    entries = terms() if entries is None else entries
    if not q:
        return list(entries)
    return [t for t in entries if any(q in s.casefold() for s in (t.en, t.ru, *t.ruled_out, t.en_def, t.ru_def))]


def prose(text: str) -> str:
    """`text` without code spans, fenced blocks and LaTeX, where English identifiers are fine."""
    return _CODE.sub(" ", text)


def ruled_out_hits(text: str, entries=None) -> list[tuple[str, str]]:
    """(term key, the word found) for each ruled-out variant in the prose of `text` that no `allow`
    context of its term excuses."""
    text = prose(text)
    hits = []
    for term in terms() if entries is None else entries:
        excused = [m.span() for a in term.allow for m in re.finditer(a, text, re.I)]
        for pattern in term.forbid:
            for m in re.finditer(pattern, text, re.I):
                if not any(s <= m.start() and m.end() <= e for s, e in excused):
                    hits.append((term.key, m.group(0)))
    return hits
