"""The sandboxed child: confine this process, then grade one submission and write the verdict.

Order matters: a new session; stdin/stdout/stderr to /dev/null and every other inherited file
closed; rlimits; root dropped to nobody (RLIMIT_NPROC does not bind root); a scratch cwd and a
scrubbed environment; one torch thread; then an audit hook (`Guard`) that refuses writes outside
the scratch dir, reads of the run store and data dir, processes, signals, sockets and ctypes. Only
then are the expected outputs computed and the learner's code compiled and run.

The verdict goes to the monitor through pipe `w` as lines: `case\t<name>` when a case starts (so a
timeout can say where), then `result\t<json>`.
"""
from __future__ import annotations

import _posixsubprocess
import builtins
import ctypes
import io
import json
import os
import resource
import signal
import sys
import tempfile
from dataclasses import asdict

import torch

from core.exercises.checks import LEARNER_FILE, error_text, is_fatal

NOBODY = 65534
PR_SET_PDEATHSIG = 1
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
REFUSED = {"os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "subprocess.Popen",
           "os.kill", "os.killpg", "signal.pthread_kill", "resource.setrlimit", "resource.prlimit", "pty.spawn",
           "os.setxattr", "os.removexattr", "sys.remote_exec"}
REFUSED_PREFIXES = ("socket.", "ctypes.")
PATH_EVENTS = {"os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.symlink", "os.link", "os.truncate", "os.chmod",
               "os.chown", "os.utime", "os.chflags", "os.lchflags", "os.lchmod", "os.lchown", "shutil.rmtree",
               "shutil.copyfile", "shutil.copymode", "shutil.copystat", "shutil.copytree", "shutil.move",
               "shutil.chown", "shutil.make_archive", "shutil.unpack_archive"}
READ_EVENTS = {"os.listdir", "os.scandir", "glob.glob", "glob.glob/2", "os.chdir"}


class SandboxViolation(PermissionError):
    """The audit hook refused an operation."""
    sandbox_violation = True


class OutputLimit(BaseException):
    """The learner printed more than the limit; a BaseException so `except Exception` cannot swallow it."""


class BoundedOutput(io.TextIOBase):
    """sys.stdout and sys.stderr for learner code: keeps the first `keep` characters, stops at `cap`."""

    def __init__(self, keep: int, cap: int) -> None:
        self.keep, self.cap, self.total, self.parts, self.overflow = keep, cap, 0, [], False

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        s = str(s)
        room = self.keep - sum(len(p) for p in self.parts) if self.total < self.keep else 0
        if room > 0:
            self.parts.append(s[:room])
        self.total += len(s)
        if self.total > self.cap:
            self.overflow = True
            raise OutputLimit
        return len(s)

    def text(self) -> str:
        shown = "".join(self.parts)
        return shown + ("\n…" if self.total > len(shown) else "")


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


class Guard:
    """The audit hook: defense in depth over the OS limits. Refused events raise `SandboxViolation`
    and are remembered, so a learner who catches the exception still gets the "forbidden" verdict."""

    def __init__(self, scratch: str, deny: list[str]) -> None:
        self.scratch = os.path.realpath(scratch)
        self.deny = [os.path.realpath(p) for p in deny]
        self.own_proc = os.path.realpath("/proc/self")  # the host PID: /proc is the host's, the PID namespace is not
        self.violations: list[str] = []
        self._busy = False

    def __call__(self, event: str, args: tuple) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            why = self.refusal(event, args)
        finally:
            self._busy = False
        if why:
            if len(self.violations) < 10:
                self.violations.append(why)
            raise SandboxViolation(f"not allowed in exercises: {why}")

    def refuse(self, name: str):
        """A stand-in for a function that must not run: calling it counts as a violation."""
        def refused(*args, **kwargs):
            self.violations.append(name)
            raise SandboxViolation(f"not allowed in exercises: {name}")
        return refused

    def watch_native_openers(self) -> None:
        """torch functions that open files in C++, past the "open" audit event: same rules for them.
        (Without a mount namespace this is all that keeps `torch.from_file` off the run store.)"""
        def guarded(fn, path_arg: int, name: str, mode: str):
            def call(*args, **kwargs):
                path = args[path_arg] if len(args) > path_arg else kwargs.get(name)
                why = self.refusal("open", (path, mode, None))
                if why:
                    self.violations.append(why)
                    raise SandboxViolation(f"not allowed in exercises: {why}")
                return fn(*args, **kwargs)
            return call

        torch.from_file = guarded(torch.from_file, 0, "filename", "r+")
        torch.UntypedStorage.from_file = staticmethod(guarded(torch.UntypedStorage.from_file, 0, "filename", "r+"))
        torch.jit.load = guarded(torch.jit.load, 0, "f", "r")
        torch.jit.save = guarded(torch.jit.save, 1, "f", "w")

    def _path(self, p) -> str | None:
        if isinstance(p, int) or p is None:
            return None
        try:
            p = os.fsdecode(p)
        except TypeError:
            return None
        return os.path.realpath(os.path.join(os.getcwd(), p))

    def _denied(self, path: str | None) -> bool:
        if path is None:
            return False
        if any(path.startswith(d) for d in self.deny):  # a prefix: runs.db covers runs.db-wal
            return True
        parts = path.split("/")
        return len(parts) > 2 and parts[1] == "proc" and parts[2].isdigit() and not _inside(path, self.own_proc)

    def refusal(self, event: str, args: tuple) -> str | None:
        if event in REFUSED or event.startswith(REFUSED_PREFIXES):
            return event
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None, None))[:3]
            writing = bool(flags & WRITE_FLAGS) if isinstance(flags, int) else any(c in str(mode or "") for c in "wax+")
            p = self._path(path)
            if p is not None and writing and not _inside(p, self.scratch):
                return f"writing {p}"
            if self._denied(p):
                return f"reading {p}"
        elif event in PATH_EVENTS:
            for a in args:
                p = self._path(a) if isinstance(a, (str, bytes, os.PathLike)) else None
                if p is not None and not _inside(p, self.scratch):
                    return f"{event} {p}"
        elif event in READ_EVENTS:
            p = self._path(args[0]) if args else None
            if self._denied(p):
                return f"{event} {p}"
        elif event == "sqlite3.connect":
            db = args[0] if args else None
            p = None if db in (":memory:", b":memory:", "") else self._path(db)
            if p is not None and (self._denied(p) or not _inside(p, self.scratch)):
                return f"sqlite3 {p}"
        return None


# ---- confinement ------------------------------------------------------------------------------

def _vm_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def confine(w: int, limits: dict, scratch: str) -> list[str]:
    """Everything the OS can enforce, before any learner code exists. Returns the layers applied."""
    layers = ["setsid", "rlimits"]
    os.setsid()
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # die with the monitor, even if it is killed
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    os.closerange(3, w)
    os.closerange(w + 1, 4096)
    mb = 1 << 20
    address_space = limits["address_space_gb"] << 30
    if _vm_kb("VmSize") * 1024 < address_space:
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    data = _vm_kb("VmData") * 1024 + limits["memory_mb"] * mb
    resource.setrlimit(resource.RLIMIT_DATA, (data, data))
    cpu = limits["cpu"] or int(-(-limits["wall"] // 1)) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_mb"] * mb,) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits["files"],) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"],) * 2)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large file fails with EFBIG instead of killing
    if os.geteuid() == 0:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
        layers.append("nobody")
    os.chdir(scratch)
    os.environ.clear()
    os.environ.update({"PATH": "/usr/bin:/bin", "HOME": scratch, "TMPDIR": scratch, "LANG": "C.UTF-8",
                       "OMP_NUM_THREADS": "1"})
    tempfile.tempdir = scratch
    torch.set_num_threads(1)
    return layers


# ---- grading ----------------------------------------------------------------------------------

def main(w: int, request: dict, scratch: str, layers: list[str]) -> None:
    """Confine, grade, write the verdict, exit. Never returns."""
    def send(line: str) -> None:
        data = line.encode()
        while data:
            data = data[os.write(w, data):]

    try:
        layers = layers + confine(w, request["limits"], scratch)
        out = BoundedOutput(request["limits"]["kept_chars"], request["limits"]["output_chars"])
        guard = Guard(scratch, request["deny"])
    except BaseException as exc:  # our own setup failed: say so, never run the learner's code
        send("result\t" + json.dumps({"exercise": request["exercise"], "status": "sandbox",
                                      "params": {"error": f"{type(exc).__name__}: {exc}"}}) + "\n")
        os._exit(0)
    sys.addaudithook(guard)
    _posixsubprocess.fork_exec = guard.refuse("_posixsubprocess.fork_exec")  # spawns without an audit event
    guard.watch_native_openers()
    verdict = grade(request, out, guard, on_case=lambda name: send(f"case\t{name}\n"))
    verdict["isolation"] = layers[:] + ["audit"]
    send("result\t" + json.dumps(verdict) + "\n")
    os._exit(0)


def grade(request: dict, out: BoundedOutput, guard: Guard, on_case=None) -> dict:
    """Expected outputs first, then the learner's code: compile, run, find the function, grade."""
    from core.exercises import get

    ex = get(request["exercise"])
    seed = request["seed"]
    verdict: dict = {"exercise": ex.id, "seed": seed, "status": "failed", "params": {}}
    try:
        prepared = ex.check.prepare(seed)
    except Exception as exc:  # a bug in the exercise itself, not in the learner's code
        return {**verdict, "status": "sandbox", "params": {"error": f"{type(exc).__name__}: {exc}"}}
    try:
        code = compile(request["source"], LEARNER_FILE, "exec")
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        return {**verdict, "status": "syntax", "params": {"error": getattr(exc, "msg", str(exc)), "line": line or "?"}}
    namespace = {"__name__": "__learner__", "__builtins__": builtins}
    sys.stdout = sys.stderr = out
    try:
        exec(code, namespace)
        fn = namespace.get(ex.function)
        if not callable(fn):
            verdict.update(status="missing_function", params={"name": ex.function})
        else:
            graded = prepared.grade(fn, on_case=on_case)
            verdict.update(status="passed" if all(o.passed for o in graded.outcomes) else "failed",
                           outcomes=[asdict(o) for o in graded.outcomes], max_abs_diff=graded.max_abs_diff,
                           timing=graded.timing)
    except BaseException as exc:
        verdict.update(_ending(exc))
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    if guard.violations:
        verdict.update(status="forbidden", params={"operation": guard.violations[0]})
    elif out.overflow:
        verdict.update(status="output", params={"kb": out.cap // 1000})
    verdict["stdout"] = out.text()
    return verdict


def _ending(exc: BaseException) -> dict:
    """How an exception that escaped the learner's code ends the check."""
    if isinstance(exc, SystemExit):
        return {"status": "exited", "params": {"code": exc.code if isinstance(exc.code, int) else str(exc.code)}}
    if isinstance(exc, KeyboardInterrupt):
        return {"status": "interrupted", "params": {}}
    if isinstance(exc, OutputLimit):
        return {"status": "output", "params": {}}
    if getattr(exc, "sandbox_violation", False):
        return {"status": "forbidden", "params": {"operation": str(exc)}}
    if is_fatal(exc):
        return {"status": "memory", "params": {}}
    if isinstance(exc, OSError) and exc.errno == 27:  # EFBIG: a file over RLIMIT_FSIZE
        return {"status": "output", "params": {}}
    return {"status": "load_error", "params": {"error": error_text(exc)}}
