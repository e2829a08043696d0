"""Hostile submissions are contained, each with a clear message, and the sandbox keeps working.

Every test sends code through the real sandbox (zygote → monitor → confined child). The submissions
are graded as exercise 1.1-cosine; most never get that far. Timeouts are short to keep this fast.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import threading
from pathlib import Path

import pytest

from core.exercises import get, render
from core.exercises.sandbox import ROOT, Limits, Sandbox

EX = "1.1-cosine"
SOLUTION = get(EX).solution


@pytest.fixture(scope="module", params=["all-layers", "no-namespaces"])
def sb(request):
    """Every test runs twice: with every layer this machine allows, and without namespaces (what is
    left where unshare is blocked, e.g. Docker's default seccomp profile for a non-root user)."""
    box = Sandbox(Limits(wall=8.0, namespaces=request.param == "all-layers"))
    box.start()
    yield box
    box.close()


def run(sb: Sandbox, code: str, **kw):
    result = sb.check(EX, code, **kw)
    return result, render(result, "en"), render(result, "ru")


def solution_plus(code: str) -> str:
    """A correct solution with hostile code around it: only the hostile part can fail the check."""
    return SOLUTION + "\n" + code


def test_a_normal_check_passes_and_reports_its_isolation(sb):
    result, en, ru = run(sb, SOLUTION)
    assert result.passed, en
    assert "audit" in result.isolation and "rlimits" in result.isolation
    if os.geteuid() == 0 and sb.limits.namespaces:  # as root every OS layer is on (docs/EXERCISES.md)
        assert {"netns", "pidns", "mountns", "private-tmp", "hidden-paths", "nobody"} <= set(result.isolation)


def test_infinite_loop_times_out_and_names_the_check(sb):
    code = "def cosine_similarity(a, b):\n    while True:\n        pass\n"
    result, en, ru = run(sb, code, timeout=4)  # room for start-up on a loaded box: it must reach a case
    assert result.status == "timeout", en
    assert result.params["check"] == "random_vectors"
    assert "took too long" in en and "случайные векторы" in ru and "слишком долго" in ru


def test_allocating_50_gb_is_refused(sb):
    for code in ("import torch\nx = torch.empty(50 * 2**30, dtype=torch.uint8)\nx.fill_(1)\n",
                 "x = bytearray(50 * 2**30)\n"):
        result, en, ru = run(sb, solution_plus(code))
        assert result.status == "memory", en
        assert "more memory" in en and "памяти" in ru


def test_fork_bomb_is_refused(sb):
    result, en, ru = run(sb, "import os\nwhile True:\n    os.fork()\n")
    assert result.status == "forbidden", en
    assert "os.fork" in en and "так нельзя" in ru


def test_processes_are_refused_by_every_route(sb):
    routes = ["import subprocess\nsubprocess.run(['true'])\n",
              "import os\nos.system('true')\n",
              "import multiprocessing\nmultiprocessing.Process(target=print).start()\n",
              "import os\nos.posix_spawn('/bin/true', ['true'], {})\n",
              "import os\nos.execv('/bin/sh', ['sh', '-c', 'true'])\n",
              "import _posixsubprocess, os\n_posixsubprocess.fork_exec(*[None] * 23)\n",
              "import ctypes\nctypes.CDLL(None).fork()\n"]
    for code in routes:
        result, en, _ = run(sb, solution_plus(code))
        assert result.status == "forbidden", (code, en)


def test_a_swallowed_refusal_still_fails_the_check(sb):
    result, en, _ = run(sb, solution_plus("import os\ntry:\n    os.fork()\nexcept BaseException:\n    pass\n"))
    assert result.status == "forbidden", en


def test_printing_100_mb_stops_with_too_much_output(sb):
    for code in ("print('x' * 100_000_000)\n", "for i in range(10**8):\n    print(i)\n"):
        result, en, ru = run(sb, solution_plus(code))
        assert result.status == "output", en
        assert "too much" in en and "слишком много" in ru
        assert len(result.stdout) < 10_000


def test_a_huge_file_in_the_scratch_dir_is_cut_off(sb):
    code = "with open('big.bin', 'wb') as f:\n    for _ in range(64):\n        f.write(b'x' * 2**20)\n"
    result, en, _ = run(sb, solution_plus(code))
    assert result.status == "output", en


def test_writing_inside_the_scratch_dir_is_allowed(sb):
    code = "import os, tempfile\nopen('notes.txt', 'w').write('ok')\nopen(os.path.join(tempfile.gettempdir(), 'b'), 'w')\n"
    result, en, _ = run(sb, solution_plus(code))
    assert result.passed, en


def test_writing_outside_the_scratch_dir_is_refused(sb):
    target = ROOT / "hacked_by_exercise.txt"
    for code in (f"open({str(target)!r}, 'w').write('x')\n", "open('/tmp/elsewhere.txt', 'w')\n",
                 "import os\nos.symlink('/etc', 'link')\n", f"import os\nos.remove({str(ROOT / 'README.md')!r})\n"):
        result, en, ru = run(sb, solution_plus(code))
        assert result.status == "forbidden", (code, en)
        assert "may not do this" in en
    assert not target.exists()
    assert (ROOT / "README.md").exists()


def test_reading_the_run_store_is_refused(sb, tmp_path, monkeypatch):
    db = tmp_path / "runs.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE runs (secret TEXT)")
        con.execute("INSERT INTO runs VALUES ('the-other-learners-secret')")
    monkeypatch.setenv("DLDASH_RUNS_DB", str(db))
    routes = [f"print(open({str(db)!r}, 'rb').read())\n",
              f"import sqlite3\nprint(sqlite3.connect({str(db)!r}).execute('SELECT * FROM runs').fetchall())\n",
              f"import torch\nprint(bytes(torch.from_file({str(db)!r}, size=4096, dtype=torch.uint8).tolist()))\n"]
    for code in routes:
        result, en, _ = run(sb, solution_plus(code))
        assert result.status == "forbidden", (code, en)
        assert "secret" not in result.stdout
    data_dir = ROOT / "data"
    result, en, _ = run(sb, solution_plus(f"import os\nprint(os.listdir({str(data_dir)!r}))\n"))
    assert result.status == "forbidden", en


def test_opening_a_socket_is_refused(sb):
    for code in ("import socket\nsocket.socket().connect(('127.0.0.1', 8501))\n",
                 "import urllib.request\nurllib.request.urlopen('http://127.0.0.1:8501/_stcore/health')\n"):
        result, en, ru = run(sb, solution_plus(code))
        assert result.status == "forbidden", (code, en)
        assert "socket" in en


def test_the_child_has_no_network_interface_but_loopback(sb):
    result, en, _ = run(sb, solution_plus("print(open('/proc/net/dev').read())\n"))
    if "netns" not in result.isolation:
        pytest.skip("no network namespace in this mode: the audit hook alone refuses sockets")
    assert result.passed, en
    interfaces = [line.split(":")[0].strip() for line in result.stdout.splitlines() if ":" in line]
    assert interfaces == ["lo"], result.stdout


def test_killing_the_parent_or_the_zygote_is_refused(sb):
    zygote = sb.zygote_pid
    for code in ("import os\nos.kill(os.getppid(), 9)\n", f"import os\nos.kill({zygote}, 9)\n",
                 f"import os, signal\nos.killpg({zygote}, signal.SIGKILL)\n", f"import os\nos.kill({os.getpid()}, 9)\n"):
        result, en, ru = run(sb, solution_plus(code))
        assert result.status == "forbidden", (code, en)
        assert "os.kill" in en
    assert sb.zygote_pid == zygote
    assert run(sb, SOLUTION)[0].passed


def test_sys_exit_ends_with_a_clear_message(sb):
    result, en, ru = run(sb, "import sys\nsys.exit(3)\n")
    assert result.status == "exited" and result.params["code"] == 3, en
    assert "sys.exit()" in en and "sys.exit()" in ru
    result, en, _ = run(sb, "import sys\ndef cosine_similarity(a, b):\n    sys.exit(0)\n")
    assert result.status == "exited", en
    result, en, _ = run(sb, "import os\nos._exit(5)\n")
    assert result.status == "exited" and result.params["code"] == 5, en


def test_keyboard_interrupt_ends_with_a_clear_message(sb):
    result, en, ru = run(sb, "def cosine_similarity(a, b):\n    raise KeyboardInterrupt\n")
    assert result.status == "interrupted", en
    assert "KeyboardInterrupt" in en and "KeyboardInterrupt" in ru


def test_syntax_errors_and_missing_functions_are_named(sb):
    result, en, ru = run(sb, "def cosine_similarity(a, b)\n    return a\n")
    assert result.status == "syntax" and result.params["line"] == 1, en
    result, en, ru = run(sb, "def cosine(a, b):\n    return a\n")
    assert result.status == "missing_function", en
    assert "cosine_similarity" in en and "cosine_similarity" in ru


def test_a_dead_zygote_is_restarted():
    box = Sandbox(Limits(wall=8.0))
    try:
        box.start()
        first = box.zygote_pid
        os.kill(first, signal.SIGKILL)
        result = box.check(EX, SOLUTION)
        assert result.passed, render(result, "en")
        assert box.zygote_pid not in (None, first)
    finally:
        box.close()


def test_several_sessions_check_at_once(sb):
    results = []
    threads = [threading.Thread(target=lambda i=i: results.append(
        sb.check(EX, SOLUTION if i % 2 == 0 else "def cosine_similarity(a, b):\n    return (a * b).sum(-1)\n")))
        for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(r.status for r in results) == ["failed", "failed", "passed", "passed"]


def test_after_all_the_hostile_code_a_normal_check_still_passes(sb):
    result, en, _ = run(sb, SOLUTION)
    assert result.passed, en
    assert not Path("/tmp/elsewhere.txt").exists()
