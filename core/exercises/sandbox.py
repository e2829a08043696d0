"""Run learner code away from the server: a warm zygote forks one confined child per submission.

    server ──socket──▶ zygote (torch imported, never ran an op; forks on request)
                         └─ monitor (one per check: namespaces, scratch dir, wall clock)
                              └─ child (setsid, rlimits, nobody, audit hook) runs the learner's code

* The **zygote** is started once (`python -c … zygote_main`) with a minimal environment. It imports
  torch and every exercise module but runs no torch op, so forking it is safe and fast. Each
  request arrives as a socket (passed over the control socket with SCM_RIGHTS); the zygote forks a
  monitor for it and goes back to waiting, so checks from several sessions run side by side.
* The **monitor** (still trusted) unshares new network, PID and mount namespaces (plus a user
  namespace when not root), puts fresh size-limited tmpfs over /tmp, /var/tmp and /dev/shm, hides
  the run store and the data dir, makes the scratch dir and forks the child. It reads at most
  `reply_kb` of the child's output, kills the child's process group at the wall-clock deadline,
  and sends the server one JSON reply with how the child ended.
* The **child** (`core.exercises.worker`) confines itself and grades the submission.

The server side, `Sandbox.check`, never raises for anything the learner's code does: every ending
maps to a `CheckResult.status` (timeout, memory, output, forbidden, exited, crashed, …). If the
zygote dies it is started again. See docs/EXERCISES.md for which layer holds as root and which not.
"""
from __future__ import annotations

import atexit
import ctypes
import glob
import importlib
import json
import math
import os
import secrets
import select
import shutil
import signal
import site
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from core.exercises.base import CheckResult

ROOT = Path(__file__).resolve().parents[2]
RUNS_DB_VAR = "DLDASH_RUNS_DB"  # core.runstore.ENV_VAR; not imported to keep the zygote lean
# Imported before any fork: a child cannot always import later (as nobody, without a mount namespace,
# it may not be able to read site-packages), and torch.optim's first optimizer imports torch._dynamo,
# seconds per check. The modules a learner might reach for to misbehave are here too, so that what
# stops them is the sandbox's refusal with its clear message, not a confusing ModuleNotFoundError.
PRELOAD = ("math", "random", "itertools", "functools", "collections", "dataclasses", "typing", "re", "string",
           "numpy", "torch", "torch.nn", "torch.nn.functional", "torch.nn.init", "torch.optim", "torch.optim.lr_scheduler",
           "torch.distributions", "torch.utils.data", "torch._dynamo", "core.exercises", "core.exercises.worker",
           "subprocess", "multiprocessing", "multiprocessing.popen_fork", "socket", "encodings.idna", "urllib.request",
           "http.client", "sqlite3", "shutil", "tempfile", "pickle", "sklearn.metrics", "sklearn.preprocessing",
           "torchvision.transforms.v2.functional")
NOBODY = 65534
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE, MNT_DETACH = 2, 4, 4096, 16384, 1 << 18, 2


@dataclass(frozen=True)
class Limits:
    """What one check may use."""
    wall: float = 10.0           # seconds of wall clock, from fork to reply
    cpu: int = 0                 # seconds of CPU (RLIMIT_CPU); 0: the wall clock + 1
    memory_mb: int = 1024        # heap on top of what the zygote already holds (RLIMIT_DATA)
    address_space_gb: int = 8    # RLIMIT_AS; `import torch` alone needs over 3 GB of address space
    processes: int = 16          # RLIMIT_NPROC for the unprivileged user (threads count too)
    file_mb: int = 16            # RLIMIT_FSIZE: the largest file the code may write
    files: int = 64              # RLIMIT_NOFILE
    tmp_mb: int = 64             # size of the private /tmp
    output_chars: int = 1_000_000  # learner prints beyond this stop the run ("output")
    kept_chars: int = 4000       # learner prints shown back
    reply_kb: int = 1024         # the most the monitor reads from the child
    source_kb: int = 256         # the largest submission accepted
    namespaces: bool = True      # False: rlimits, nobody and the audit hook only (what is left where unshare is blocked)

    @property
    def cpu_seconds(self) -> int:
        return self.cpu or math.ceil(self.wall) + 1


# ---- the server side --------------------------------------------------------------------------

def deny_paths() -> list[str]:
    """Files the learner's code must not read: the run store (and its -wal/-journal siblings, by
    prefix), the data dir, Streamlit's secrets, and any absolute path given in a DLDASH_* variable."""
    runs = os.environ.get(RUNS_DB_VAR) or str(ROOT / "data" / "runs.db")
    paths = [runs, str(ROOT / "data"), str(ROOT / ".streamlit")]
    paths += [v for k, v in os.environ.items() if k.startswith("DLDASH_") and v.startswith("/")]
    return sorted({os.path.realpath(p) for p in paths})


def _zygote_env() -> dict[str, str]:
    """Nothing from the server's environment but what Python needs: /proc/self/environ of every
    child shows this block, so no secret and no DLDASH_* setting is in it."""
    keep = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "HOME", "PYTHONHOME") if k in os.environ}
    path = os.pathsep.join(dict.fromkeys([str(ROOT), *(p for p in sys.path if p and os.path.isdir(p))]))
    return {**keep, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}


class Sandbox:
    """Checks learner code in the zygote's children. Thread-safe; at most `max_running` at once."""

    def __init__(self, limits: Limits = Limits(), max_running: int = 2, startup_timeout: float = 300.0,
                 zygote: bool = True) -> None:
        """`zygote=False` forks each monitor straight from this process instead (the CLI: one check,
        and this process already imported torch and ran no op), saving a second torch import."""
        self.limits = limits
        self.zygote = zygote
        self.startup_timeout = startup_timeout
        self._lock = threading.Lock()          # guards the zygote and the control socket
        self._slots = threading.BoundedSemaphore(max_running)
        self._proc: subprocess.Popen | None = None
        self._ctrl: socket.socket | None = None
        self._ready = False

    @property
    def zygote_pid(self) -> int | None:
        return self._proc.pid if self._proc and self._proc.poll() is None else None

    def start(self, wait: bool = True) -> None:
        """Start the zygote if it is not running; with `wait`, until it has imported everything."""
        with self._lock:
            self._ensure(wait)

    def _ensure(self, wait: bool = True) -> None:
        if self._proc is not None and self._proc.poll() is not None:
            self._close_locked()               # it died: start a fresh one
        if self._proc is None:
            ours, theirs = socket.socketpair()
            code = f"from core.exercises.sandbox import zygote_main; zygote_main({theirs.fileno()})"
            self._proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=_zygote_env(),
                                          pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, start_new_session=True)
            theirs.close()
            self._ctrl, self._ready = ours, False
        if wait and not self._ready:
            self._ctrl.settimeout(self.startup_timeout)
            try:
                hello = self._ctrl.recv(5)
            finally:
                self._ctrl.settimeout(None)
            if hello != b"ready":
                self._close_locked()
                raise RuntimeError("the exercise sandbox did not start")
            self._ready = True

    def close(self) -> None:
        with self._lock:
            self._close_locked()

    def _close_locked(self) -> None:
        if self._ctrl is not None:
            self._ctrl.close()
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
        self._proc, self._ctrl, self._ready = None, None, False

    def check(self, exercise_id: str, source: str, *, seed: int | None = None,
              timeout: float | None = None) -> CheckResult:
        """Grade `source` for `exercise_id` in a fresh child; the result says how it went."""
        seed = secrets.randbelow(2**31) if seed is None else int(seed)
        limits = self.limits if timeout is None else replace(self.limits, wall=float(timeout))
        start = time.monotonic()

        def ended(status: str, **params) -> CheckResult:
            return CheckResult(exercise_id, status, params=params, seed=seed, seconds=time.monotonic() - start)

        if len(source.encode("utf-8", "replace")) > limits.source_kb * 1024:
            return ended("too_long", kb=limits.source_kb)
        if not self._slots.acquire(timeout=limits.wall * 3 + 30):
            return ended("busy")
        try:
            request = {"exercise": exercise_id, "source": source, "seed": seed, "limits": asdict(limits),
                       "deny": deny_paths()}
            reply = self._call(request, limits)
        except Exception as exc:  # the sandbox itself failed, not the learner's code
            return ended("sandbox", error=f"{type(exc).__name__}: {exc}")
        finally:
            self._slots.release()
        result = _result(exercise_id, seed, reply, limits)
        return replace(result, seconds=time.monotonic() - start)

    def _call(self, request: dict, limits: Limits) -> dict:
        payload = json.dumps(request).encode()
        if not self.zygote:
            return self._call_forked(payload, limits)
        for _ in range(2):
            with self._lock:
                self._ensure()
                ours, theirs = socket.socketpair()
                try:
                    socket.send_fds(self._ctrl, [b"c"], [theirs.fileno()])
                except OSError:                # the zygote is gone: restart it and try again
                    ours.close()
                    self._close_locked()
                    continue
                finally:
                    theirs.close()
            try:
                data = _exchange(ours, payload, limits)
            except TimeoutError:
                raise
            except OSError:                    # the zygote died with our request in its queue
                data = b""
            if data:
                return json.loads(data)
            with self._lock:                   # a dead zygote is replaced by the next _ensure()
                try:
                    self._proc.wait(timeout=1.0)
                except (subprocess.TimeoutExpired, AttributeError):
                    pass
        raise RuntimeError("no reply from the sandbox")

    def _call_forked(self, payload: bytes, limits: Limits) -> dict:
        preload()
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            ours.close()
            try:
                _monitor(theirs)
            finally:
                os._exit(0)
        theirs.close()
        try:
            data = _exchange(ours, payload, limits)
        finally:
            os.waitpid(pid, 0)
        if not data:
            raise RuntimeError("no reply from the sandbox")
        return json.loads(data)


def _exchange(sock: socket.socket, payload: bytes, limits: Limits) -> bytes:
    """Send one request over `sock` (then close it), and return the whole reply, capped in size."""
    with sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(limits.wall + 60)
        return _read_all(sock, limits.reply_kb * 1024 + 65536)


def _read_all(sock: socket.socket, cap: int) -> bytes:
    chunks, size = [], 0
    while size < cap:
        chunk = sock.recv(min(65536, cap - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _result(exercise_id: str, seed: int, reply: dict, limits: Limits) -> CheckResult:
    """The monitor's reply → a CheckResult: the child's own verdict when it sent one, else why not."""
    progress, verdict = None, None
    for line in reply.get("output", "").splitlines():
        kind, _, rest = line.partition("\t")
        if kind == "case":
            progress = rest
        elif kind == "result":
            try:
                verdict = json.loads(rest)
            except ValueError:
                verdict = None
    isolation = tuple(reply.get("isolation", ()))
    base = CheckResult(exercise_id, "crashed", seed=seed, isolation=isolation)
    where = {"check": progress} if progress and progress != "timing" else {}
    reason, exit_ = reply.get("reason"), reply.get("exit", {})
    if reason == "timeout":
        return replace(base, status="timeout", params={"seconds": limits.wall, **where})
    if reason == "too_big":
        return replace(base, status="output", params={"kb": limits.reply_kb})
    if reason == "fork_failed":
        return replace(base, status="sandbox", params={"error": reply.get("error", "fork failed")})
    if isinstance(verdict, dict) and exit_.get("code") == 0:
        try:
            return replace(CheckResult.from_dict(verdict), isolation=tuple(verdict.get("isolation") or isolation))
        except (TypeError, ValueError):
            pass
    sig = exit_.get("signal")
    if sig in (signal.SIGXCPU, signal.SIGKILL) and exit_.get("cpu", 0) >= limits.cpu_seconds - 0.5:
        return replace(base, status="timeout", params={"seconds": limits.cpu_seconds, "cpu": True, **where})
    if sig == signal.SIGXFSZ:
        return replace(base, status="output", params={"kb": limits.file_mb * 1024})
    if sig:
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        return replace(base, status="crashed", params={"signal": name, **where})
    return replace(base, status="exited", params={"code": exit_.get("code"), **where})


_default: Sandbox | None = None
_default_lock = threading.Lock()


def default() -> Sandbox:
    """The process's shared sandbox (one zygote for every session)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Sandbox()
            atexit.register(_default.close)
        return _default


# ---- the zygote -------------------------------------------------------------------------------

def preload() -> None:
    """Import what every child may need, and every exercise module; runs no torch op."""
    for name in PRELOAD:
        importlib.import_module(name)
    from core.exercises import all_exercises

    all_exercises()


def zygote_main(ctrl_fd: int) -> None:
    """Import everything once, then fork a monitor per request until the server goes away."""
    preload()
    ctrl = socket.socket(fileno=ctrl_fd)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # monitors are reaped by the kernel
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    ctrl.sendall(b"ready")
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(ctrl, 16, 4)
        except OSError:
            break
        if not msg:
            break                              # the server closed its end
        if not fds:
            continue
        pid = os.fork()
        if pid == 0:
            ctrl.close()
            for fd in fds[1:]:
                os.close(fd)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                _monitor(socket.socket(fileno=fds[0]))
            finally:
                os._exit(0)
        for fd in fds:
            os.close(fd)
    os._exit(0)


# ---- the monitor ------------------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)


def _unshare(flags: int) -> bool:
    return _libc.unshare(flags) == 0


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> bool:
    enc = (lambda s: s.encode() if s is not None else None)
    return _libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)) == 0


def _isolate(deny: list[str], limits: Limits) -> list[str]:
    """New namespaces for the child: no network, its own PIDs (all die with it), its own mounts with
    a private /tmp and the denied paths hidden. Returns the layers that took."""
    root = os.geteuid() == 0
    uid, gid = os.getuid(), os.getgid()
    layers: list[str] = []
    flags = CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWNS | (0 if root else CLONE_NEWUSER)
    if _unshare(flags):
        layers += ["netns", "pidns", "mountns"] + ([] if root else ["userns"])
        if not root:  # map our own ids, so files we create still belong to us
            for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
                with open(f"/proc/self/{name}", "w") as f:
                    f.write(text)
        if _mount(None, "/", None, MS_REC | MS_PRIVATE):
            tmp = [d for d in ("/tmp", "/var/tmp", "/dev/shm") if os.path.isdir(d)]
            if all(_mount("tmpfs", d, "tmpfs", MS_NOSUID | MS_NODEV, f"size={limits.tmp_mb}m,mode=1777") for d in tmp):
                layers.append("private-tmp")
                if root and _make_reachable(_code_paths()):
                    layers.append("code-only-under-private-dirs")
            hidden = True
            for path in deny:
                for p in [path, *glob.glob(glob.escape(path) + "*")]:
                    if os.path.isdir(p):
                        hidden &= _mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV, "size=4k,mode=0555")
                    elif os.path.exists(p):
                        hidden &= _mount("/dev/null", p, None, MS_BIND)
            if hidden:
                layers.append("hidden-paths")
    elif root and _unshare(CLONE_NEWNET):
        layers.append("netns")
    return layers


def _code_paths() -> list[str]:
    """What the child must be able to read: Python itself, its site-packages, and the project."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(ROOT), *site.getsitepackages()}
    paths = sorted(os.path.realpath(p) for p in paths if os.path.isdir(p))
    return [p for p in paths if not any(p != q and p.startswith(q + "/") for q in paths)]


def _make_reachable(paths: list[str]) -> bool:
    """Python may live under a directory that only root may enter (/root/.pyenv); the child runs as
    nobody. Over each such directory, in the child's mount namespace only, goes an empty tmpfs that
    anyone may enter, with just `paths` bound back into it: the code is readable, the rest (a home
    directory's keys and history) is hidden. Needs a private /tmp to park the paths during the swap."""
    blocked: dict[str, list[str]] = {}
    for path in paths:
        parts = path.strip("/").split("/")
        for i in range(1, len(parts)):
            folder = "/" + "/".join(parts[:i])
            if not os.stat(folder).st_mode & 0o001:  # others may not enter
                blocked.setdefault(folder, []).append(path)
                break
    ok = True
    for n, (folder, inner) in enumerate(blocked.items()):
        parked = []
        for k, path in enumerate(inner):
            spot = f"/tmp/.code-{n}-{k}"
            os.mkdir(spot)
            ok &= _mount(path, spot, None, MS_BIND | MS_REC)
            parked.append((path, spot))
        ok &= _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755")
        for path, spot in parked:
            os.makedirs(path, exist_ok=True)
            ok &= _mount(spot, path, None, MS_BIND | MS_REC)
            ok &= _libc.umount2(spot.encode(), MNT_DETACH) == 0
            os.rmdir(spot)
    return ok


def _monitor(conn: socket.socket) -> None:
    """Serve one request: confine, fork the child, watch the clock, reply."""
    request = json.loads(_read_all(conn, 4 * 1024 * 1024))
    limits = Limits(**request["limits"])
    deadline = time.monotonic() + limits.wall
    layers = _isolate(request["deny"], limits) if limits.namespaces else []
    scratch = tempfile.mkdtemp(prefix="exercise-", dir="/tmp")
    if os.geteuid() == 0:
        os.chown(scratch, NOBODY, NOBODY)
    r, w = os.pipe()
    try:
        pid = os.fork()
    except OSError as exc:
        conn.sendall(json.dumps({"reason": "fork_failed", "error": str(exc)}).encode())
        return
    if pid == 0:
        os.close(r)
        conn.close()
        try:
            from core.exercises import worker

            worker.main(w, request, scratch, layers)
        finally:
            os._exit(70)
    os.close(w)
    output, reason = _read_child(r, deadline, limits.reply_kb * 1024)
    status, usage = _wait(pid, deadline if reason == "eof" else 0.0)
    if status is None:                         # still running: out of time (or it closed its pipe)
        reason = reason if reason != "eof" else "timeout"
        _kill(pid)
        _, status, usage = os.wait4(pid, 0)
    elif reason != "eof":
        _kill(pid)
    shutil.rmtree(scratch, ignore_errors=True)
    exit_ = {"cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024}
    if os.WIFSIGNALED(status):
        exit_["signal"] = os.WTERMSIG(status)
    else:
        exit_["code"] = os.waitstatus_to_exitcode(status)
    reply = {"reason": reason, "exit": exit_, "isolation": layers, "output": output.decode("utf-8", "replace")}
    conn.sendall(json.dumps(reply).encode())


def _read_child(fd: int, deadline: float, cap: int) -> tuple[bytes, str]:
    """Up to `cap` bytes until EOF ("eof"), the deadline ("timeout") or the cap ("too_big")."""
    chunks, size = [], 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return b"".join(chunks), "timeout"
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks), "eof"
        chunks.append(chunk)
        size += len(chunk)
        if size > cap:
            return b"".join(chunks)[:cap], "too_big"


def _wait(pid: int, deadline: float):
    """(status, rusage) once the child exits, or (None, None) if it is still running at `deadline`."""
    while True:
        got, status, usage = os.wait4(pid, os.WNOHANG)
        if got:
            return status, usage
        if time.monotonic() >= deadline:
            return None, None
        time.sleep(0.005)


def _kill(pid: int) -> None:
    """The child leads its own process group and, with a PID namespace, is its init: both go."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
