"""The exercises from the command line, for learners who prefer their own editor.

    python -m core.exercises list [--lang ru]          one line per exercise: id, section, title
    python -m core.exercises show ID [--lang ru]       the prompt
    python -m core.exercises stub ID [--lang ru]       the starting code (redirect it to a file)
    python -m core.exercises hint ID [N] [--lang ru]   hint N (1 = gentlest), or all of them
    python -m core.exercises solution ID               the reference solution
    python -m core.exercises check ID FILE.py [--lang ru] [--seed N] [--timeout S]

`check` prints the same feedback as the app and exits 0 only when the solution passes (1 when it
does not, 2 for a wrong command line). The code runs in the same sandbox as in the app.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core import exercises
from core.exercises.text import LANGS, text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core.exercises", description="Graded PyTorch exercises.")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help: str, with_id: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help)
        if with_id:
            p.add_argument("id", help="exercise id, e.g. 1.1-cosine (see `list`)")
        p.add_argument("--lang", choices=LANGS, default="en", help="language of the text (default: en)")
        return p

    command("list", "one line per exercise: id, section, title", with_id=False)
    command("show", "the exercise's prompt")
    command("stub", "the starting code: signature and docstring")
    hint = command("hint", "one hint, or all of them")
    hint.add_argument("n", nargs="?", type=int, help="which hint, 1 = gentlest (default: all)")
    command("solution", "the reference solution")
    check = command("check", "grade your file; exit code 0 only on a pass")
    check.add_argument("file", type=Path, help="your Python file, defining the exercise's function")
    check.add_argument("--seed", type=int, default=None, help="fix the random inputs (default: fresh each run)")
    check.add_argument("--timeout", type=float, default=None, help="wall-clock limit in seconds (default: 10)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "list":
        for ex in exercises.all_exercises():
            print(f"{ex.id:<22} {ex.section:<20} {exercises.title(ex, args.lang)}")
        return 0
    try:
        ex = exercises.get(args.id)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    if args.command == "show":
        print(f"{ex.id} · {exercises.title(ex, args.lang)}\n{exercises.prompt(ex, args.lang).strip()}")
    elif args.command == "stub":
        print(exercises.stub(ex, args.lang), end="")
    elif args.command == "hint":
        hints = exercises.hints(ex, args.lang)
        chosen = range(1, len(hints) + 1) if args.n is None else [args.n]
        for n in chosen:
            if not 1 <= n <= len(hints):
                print(f"hints are numbered 1 to {len(hints)}", file=sys.stderr)
                return 2
            print(f"{n}. {hints[n - 1]}")
    elif args.command == "solution":
        print(exercises.solution(ex), end="")
    elif args.command == "check":
        try:
            source = args.file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"{args.file}: {exc}", file=sys.stderr)
            return 2
        print(text("ui.checking", args.lang), file=sys.stderr, flush=True)
        result = exercises.check_once(ex.id, source, seed=args.seed, timeout=args.timeout)
        print(exercises.render(result, args.lang, ex))
        return 0 if result.passed else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
