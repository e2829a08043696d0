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
    """Terms whose EN or RU name or ruled-out variants start with `query` (any case), then those that
    contain it, then the terms whose definitions alone do."""
    q = query.strip().casefold()
    entries = terms() if entries is None else entries
    if not q:
        return list(entries)
    by_name = [t for t in entries if any(q in s.casefold() for s in (t.en, t.ru, *t.ruled_out))]
    by_name.sort(key=lambda t: not any(s.casefold().startswith(q) for s in (t.en, t.ru, *t.ruled_out)))
    by_meaning = [t for t in entries if t not in by_name and (q in t.en_def.casefold() or q in t.ru_def.casefold())]
    return by_name + by_meaning


def prose(text: str) -> str:
    """`text` without code spans, fenced blocks and LaTeX, where English identifiers are fine."""
    return _CODE.sub(" ", text)


@cache
def _patterns(entries: tuple[Term, ...]) -> tuple[re.Pattern, list]:
    """One regex that finds any ruled-out word (a quick first pass), and per term its compiled
    patterns. They run on lower-cased text: re.IGNORECASE makes Cyrillic searches several times slower."""
    per_term = [(t.key, [re.compile(p) for p in t.forbid], [re.compile(a) for a in t.allow])
                for t in entries if t.forbid]
    anything = re.compile("|".join(f"(?:{p})" for t in entries for p in t.forbid) or r"(?!x)x")
    return anything, per_term


def ruled_out_hits(text: str, entries=None) -> list[tuple[str, str]]:
    """(term key, the word found) for each ruled-out variant in the prose of `text` that no `allow`
    context of its term excuses. Patterns are written in lower case."""
    text = prose(text).lower()
    anything, per_term = _patterns(terms() if entries is None else tuple(entries))
    if not anything.search(text):
        return []
    hits = []
    for key, forbid, allow in per_term:
        excused = [m.span() for a in allow for m in a.finditer(text)]
        for pattern in forbid:
            for m in pattern.finditer(text):
                if not any(s <= m.start() and m.end() <= e for s, e in excused):
                    hits.append((key, m.group(0)))
    return hits
