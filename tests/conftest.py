"""Shared test helpers: the repo on sys.path, AppTest for one page, waiting for training jobs."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
pytest_plugins = ["e2e_support"]  # the browser tests' fixtures (server, browser, page), registered once
# Runs that tests train (here and in the servers the browser tests start) go to a throw-away
# history, never the learner's data/runs.db.
os.environ.setdefault("DLDASH_RUNS_DB", str(Path(tempfile.mkdtemp(prefix="dldash-test-")) / "runs.db"))
# Runs train on the thread backend unless a test picks another (a test that turns hosted mode on
# would otherwise start a process pool inside pytest); the hosted e2e servers set DLDASH_RUNNER.
os.environ.setdefault("DLDASH_RUNNER", "thread")

import torch  # noqa: E402

from core.device import configure_threads  # noqa: E402

configure_threads()  # the app's own setting, so tests train as the app does


# No xdist groups. The README runs `-n 2` with xdist's default `--dist load`: tests go to whichever worker
# is free, so the two workers share the browser tests. An xdist_group marker added here never took
# effect (xdist's worker renames grouped tests in its own collection hook, which ran before this
# conftest's), and `--dist loadgroup` then only added xdist 3.8's hang when a crashed worker is
# replaced (pytest-xdist #1323/#1327: CI sat at 95% until its 90-minute limit). Do not add groups back.


def page_path(stem: str) -> str:
    return str(ROOT / "pages" / f"{stem}.py")


def open_page(stem: str, lang: str = "en", timeout: float = 120, **state):
    """Run one page in AppTest with the sidebar's settings preset (language, seed, CPU)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(page_path(stem), default_timeout=timeout)
    at.session_state["lang"] = lang
    at.session_state["force_cpu"] = True
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def wait_for_jobs(at, timeout: float = 120):
    """Join every training job the page started, then rerun so the page shows the results."""
    jobs = at.session_state["_jobs"] if "_jobs" in at.session_state else {}
    for job in jobs.values():
        job.join(timeout)
        assert job.done, f"job still {job.status} after {timeout} s"
    return at.run()


def texts(at) -> str:
    """Everything the page shows as text, joined: markdown, captions, alerts, metrics, titles."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "success", "info", "warning", "error",
                 "exception", "latex", "code"):
        parts += [str(getattr(e, "value", "")) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(parts)


@pytest.fixture(params=["en", "ru"])
def lang(request) -> str:
    return request.param


@pytest.fixture
def one_torch_thread(monkeypatch):
    """One intra-op thread for training tests: on a shared, loaded 2-core box two threads wait on each
    other. The pages are kept from raising it again. Use with `pytest.mark.usefixtures`."""
    monkeypatch.setattr("core.device._threads_configured", True)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _postgres_tool(name: str) -> str | None:
    """`name` (initdb, pg_ctl) on PATH, else in Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(os.path.join(folder, name), os.X_OK):
            return os.path.join(folder, name)
    return None


@pytest.fixture(scope="session")
def postgres_server():
    """A throw-away PostgreSQL server for this test session: its own data folder, a free port on
    127.0.0.1, trust auth, stopped at the end. As root it runs as the `postgres` user."""
    from e2e_support import free_port

    initdb, pg_ctl = _postgres_tool("initdb"), _postgres_tool("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.fail("PostgreSQL is not installed (apt-get install postgresql): the store's tests must also run on it")
    root = Path(tempfile.mkdtemp(prefix="dldash-pg-"))
    as_postgres = []
    if os.geteuid() == 0:  # the server refuses to run as root
        shutil.chown(root, "postgres", "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", free_port()
    subprocess.run([*as_postgres, initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
                   check=True, capture_output=True)
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"
    subprocess.run([*as_postgres, pg_ctl, "-D", str(data), "-l", str(root / "server.log"), "-o", options, "-w", "start"],
                   check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run([*as_postgres, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def new_postgres_database(server: str) -> str:
    """A new, empty database on `server` (a URL without a database); its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{server}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    """Where a store test keeps its runs: a new SQLite file, or a new database on the test PostgreSQL
    server. The database's pooled connections are closed afterwards."""
    if request.param == "sqlite":
        yield str(tmp_path / "runs.db")
        return
    url = new_postgres_database(request.getfixturevalue("postgres_server"))
    yield url
    from core.runstore import close_engine

    close_engine(url)
