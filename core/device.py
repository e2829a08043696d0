"""Pick the compute device and size the torch thread pool once per process.

torch loads lazily. Until the background warm-up has imported it, `describe_host` answers from a
probe of the host that imports nothing, so Home and the sidebar paint without torch (a cold import
costs seconds)."""
from __future__ import annotations

import importlib.util
import os
import platform
import re
import sys
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

_threads_configured = False
_planned_sessions = 1
_warm_started = False
_torch_ready = threading.Event()  # set by the warm-up once torch is imported and the device is known


@dataclass(frozen=True)
class DeviceInfo:
    type: str  # "cuda" | "mps" | "cpu"
    name: str
    memory_gb: float | None
    threads: int

    @property
    def label(self) -> str:
        mem = f", {self.memory_gb:.1f} GB" if self.memory_gb else ""
        return f"{self.type.upper()} · {self.name}{mem}"


@lru_cache(maxsize=1)
def _detected_accelerator() -> str | None:
    """Asked once per process: probing CUDA while another thread runs backward can deadlock."""
    import torch

    if torch.accelerator.is_available():
        acc = torch.accelerator.current_accelerator()
        if acc is not None and acc.type in ("cuda", "mps"):
            return acc.type
    return None


def pick_device(force_cpu: bool = False) -> torch.device:
    """CUDA, then MPS, then CPU; `force_cpu` overrides the accelerator."""
    import torch

    acc = None if force_cpu else _detected_accelerator()
    return torch.device(acc or "cpu")


def describe_device(device: torch.device | str) -> DeviceInfo:
    """Human-readable name and memory of `device`."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        return DeviceInfo("cuda", props.name, props.total_memory / 2**30, torch.get_num_threads())
    if device.type == "mps":
        return DeviceInfo("mps", "Apple GPU (Metal)", None, torch.get_num_threads())
    name = _cpu_name()
    return DeviceInfo("cpu", name, _ram_gb(), torch.get_num_threads())


def planned_threads(sessions: int | None = None) -> int:
    """torch's intra-op threads: half the cores (the UI and server need the rest), shared among
    `sessions` concurrent users (default: the number `plan_sessions` set), between 1 and 4.

    Our models are small: a second thread buys little, and on a busy 2-core machine OpenMP's
    spinning workers slowed training 10-30x in our measurements, so 2 cores get 1 thread."""
    cores = os.cpu_count() or 1
    return max(1, min(4, cores // (2 * max(1, sessions or _planned_sessions))))


def plan_sessions(sessions: int) -> None:
    """How many learners share this process; `configure_threads` sizes the pool for them. No torch."""
    global _planned_sessions
    _planned_sessions = max(1, int(sessions))


def configure_threads(sessions: int | None = None) -> int:
    """Set torch's intra-op threads once per process to `planned_threads(sessions)`."""
    import torch

    global _threads_configured
    if not _threads_configured:
        torch.set_num_threads(planned_threads(sessions))
        _threads_configured = True
    return torch.get_num_threads()


@lru_cache(maxsize=1)
def probe_accelerator() -> str | None:
    """"cuda" or "mps" when the installed torch was built for one and the host shows one, else None.
    Reads files only, never imports torch: a guess that torch's own answer replaces once loaded."""
    if sys.platform == "darwin" and platform.machine() == "arm64":
        return "mps"
    spec = importlib.util.find_spec("torch")
    folder = Path(next(iter(spec.submodule_search_locations or ()), "")) if spec else None
    try:
        version = (folder / "version.py").read_text(encoding="utf-8") if folder else ""
    except OSError:
        version = ""
    built_for_gpu = re.search(r"^(cuda|hip)\b[^=\n]*=\s*['\"]", version, re.M) is not None
    has_gpu = Path("/dev/nvidia0").exists() or Path("/dev/kfd").exists()
    return "cuda" if built_for_gpu and has_gpu else None


def torch_ready() -> bool:
    """Whether the warm-up has imported torch and asked it for the accelerator."""
    return _torch_ready.is_set()


def has_accelerator() -> bool:
    """Whether a GPU can be used: torch's answer once it is loaded, the host probe's before."""
    return (_detected_accelerator() if torch_ready() else probe_accelerator()) is not None


def describe_host(force_cpu: bool = False) -> DeviceInfo:
    """The device a run would use, described: `describe_device` once torch is loaded; before that,
    from the host probe (GPU names and memory appear once torch is loaded)."""
    if torch_ready():
        return describe_device(pick_device(force_cpu))
    kind = "cpu" if force_cpu else (probe_accelerator() or "cpu")
    if kind == "cpu":
        return DeviceInfo("cpu", _cpu_name(), _ram_gb(), planned_threads())
    return DeviceInfo(kind, "GPU" if kind == "cuda" else "Apple GPU (Metal)", None, planned_threads())


def warm_up() -> None:
    """Import torch, size its thread pool, ask for the accelerator, and pay its one-off costs (the
    first optimizer step imports ~2 s of modules) before any learner needs them."""
    import torch

    configure_threads()
    _detected_accelerator()
    _torch_ready.set()
    w = torch.zeros(2, requires_grad=True)
    (w * 2).sum().backward()
    torch.optim.Adam([w]).step()


def warm_up_in_background(*modules: str) -> None:
    """Run `warm_up` once per process in a daemon thread, then import `modules` (the pages' heavy
    ones), so no learner waits for them."""
    global _warm_started
    if not _warm_started:
        _warm_started = True
        threading.Thread(target=_warm_up_all, args=modules, name="torch-warm-up", daemon=True).start()


def _warm_up_all(*modules: str) -> None:
    warm_up()
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # the page that needs it will raise the same error where it can be shown
            pass


@lru_cache(maxsize=1)
def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "CPU"


def _ram_gb() -> float | None:
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        return pages * page_size / 2**30
    except (ValueError, OSError, AttributeError):
        return None
