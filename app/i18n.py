"""English and Russian text: one UI catalogue plus one content file per page, per language.

Files live in `app/content/<lang>/`: `ui.toml` holds the shared interface strings and every
`<page_stem>.toml` holds that page's prose, labels and quiz under the page's stem, so
`t("52_training.idea.intro")` reads `idea.intro` from `52_training.toml`.
"""
from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

import streamlit as st

CONTENT_DIR = Path(__file__).resolve().parent / "content"
LANGS = ("en", "ru")
LANG_NAMES = {"en": "English", "ru": "Русский"}


@cache
def catalog(lang: str) -> dict:
    """Every string of `lang`: ui.toml at the top level, page files under their stem."""
    folder = CONTENT_DIR / lang
    merged: dict = {}
    for path in sorted(folder.glob("*.toml")):
        with path.open("rb") as f:
            data = tomllib.load(f)
        if path.stem == "ui":
            merged.update(data)
        else:
            merged[path.stem] = data
    return merged


def flat_keys(tree, prefix: str = "") -> set[str]:
    """Dotted paths of every leaf; list items are numbered."""
    if isinstance(tree, dict):
        return set().union(*(flat_keys(v, f"{prefix}{k}.") for k, v in tree.items())) if tree else {prefix}
    if isinstance(tree, list) and tree and isinstance(tree[0], dict):
        return set().union(*(flat_keys(v, f"{prefix}{i}.") for i, v in enumerate(tree)))
    return {prefix.rstrip(".")}


def strings_of(tree, prefix: str = ""):
    """(dotted key, text) for every string in a parsed content file; list items are numbered."""
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from strings_of(v, f"{prefix}{k}.")
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield from strings_of(v, f"{prefix}{i}.")
    elif isinstance(tree, str):
        yield prefix.rstrip("."), tree


def content_strings(lang: str, files=None):
    """(file name, dotted key, text) for every string of `lang`'s content files (or of `files`)."""
    for path in files or sorted((CONTENT_DIR / lang).glob("*.toml")):
        with open(path, "rb") as f:
            tree = tomllib.load(f)
        for key, text in strings_of(tree):
            yield path.name, key, text


def default_lang() -> str:
    """Russian for a Russian browser locale, English otherwise."""
    try:
        locale = st.context.locale or ""
    except Exception:  # no browser (bare script, some tests)
        locale = ""
    return "ru" if locale.lower().startswith("ru") else "en"


def current_lang() -> str:
    lang = st.session_state.get("lang")
    if lang not in LANGS:
        lang = default_lang()
        st.session_state["lang"] = lang
    return lang


def lookup(key: str, lang: str | None = None):
    """The raw value (string, list or table) at dotted `key`; KeyError if missing."""
    node = catalog(lang or current_lang())
    for part in key.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def plural_ru(n, one: str, few: str, many: str) -> str:
    """The Russian form for the count `n`: 1, 21 канал; 2, 3, 4, 22 канала; 5, 11, 12, 25 каналов.
    A fraction takes the `few` form (2,5 канала)."""
    number = _number(n)
    if number is None:
        return many
    if number != int(number):
        return few
    n = abs(int(number))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def _number(value) -> float | None:
    """A count given as a number or as formatted text ("1,234", "12 345", "2.5")."""
    if isinstance(value, (int, float)):
        return value
    text = re.sub(r"[\s,\u00a0\u202f]", "", str(value))
    try:
        return float(text)
    except ValueError:
        return None


_PLURAL = re.compile(r"\{(\w+)\|([^{}|]*)\|([^{}|]*)(?:\|([^{}|]*))?\}")


def resolve_plurals(text: str, params: dict) -> str:
    """`{n|канал|канала|каналов}` → the Russian form for params["n"]; `{n|step|steps}` → the English one."""
    def form(m: re.Match) -> str:
        name, first, second, third = m.groups()
        if name not in params:
            return m.group(0)
        if third is None:
            return first if _number(params[name]) == 1 else second
        return plural_ru(params[name], first, second, third)

    return _PLURAL.sub(form, text)


def t(key: str, lang: str | None = None, **params) -> str:
    """The string at `key`, formatted with `params`; `{n|one|few|many}` picks the noun form for the
    count `n`. A missing key shows itself, never crashes."""
    try:
        value = lookup(key, lang)
    except (KeyError, IndexError, ValueError):
        return f"⟨{key}⟩"
    return resolve_plurals(value, params).format(**params) if params and isinstance(value, str) else value


def explain(exc: Exception, table: str = "errors", lang: str | None = None) -> str:
    """A core error in the learner's language: `<table>.<code>` filled with the error's params when
    the error carries a code the catalogue knows (`core.errors.InputError`), else its own message."""
    code = getattr(exc, "code", None)
    if code:
        try:
            value = lookup(f"{table}.{code}", lang)
            if isinstance(value, str):
                params = getattr(exc, "params", {})
                return resolve_plurals(value, params).format(**params)
        except (KeyError, IndexError, ValueError):
            pass
    return str(exc)


def page_t(stem: str):
    """A `t` bound to one page's namespace: `T("labels.lr")` reads `<stem>.labels.lr`."""
    return lambda key, **params: t(f"{stem}.{key}", **params)
