"""Pick the compute device and size the torch thread pool once per process."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import lru_cache

import torch

_threads_configured = False
_warm_started = False


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
    if torch.accelerator.is_available():
        acc = torch.accelerator.current_accelerator()
        if acc is not None and acc.type in ("cuda", "mps"):
            return acc.type
    return None


def pick_device(force_cpu: bool = False) -> torch.device:
    """CUDA, then MPS, then CPU; `force_cpu` overrides the accelerator."""
    acc = None if force_cpu else _detected_accelerator()
    return torch.device(acc or "cpu")


def describe_device(device: torch.device | str) -> DeviceInfo:
    """Human-readable name and memory of `device`."""
    device = torch.device(device)
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        return DeviceInfo("cuda", props.name, props.total_memory / 2**30, torch.get_num_threads())
    if device.type == "mps":
        return DeviceInfo("mps", "Apple GPU (Metal)", None, torch.get_num_threads())
    name = _cpu_name()
    return DeviceInfo("cpu", name, _ram_gb(), torch.get_num_threads())


def configure_threads(sessions: int = 1) -> int:
    """Set torch's intra-op threads once: half the cores (the UI and server need the rest),
    shared among `sessions` concurrent users, between 1 and 4.

    Our models are small: a second thread buys little, and on a busy 2-core machine OpenMP's
    spinning workers slowed training 10-30x in our measurements, so 2 cores get 1 thread."""
    global _threads_configured
    cores = os.cpu_count() or 1
    threads = max(1, min(4, cores // (2 * max(1, sessions))))
    if not _threads_configured:
        torch.set_num_threads(threads)
        _threads_configured = True
    return torch.get_num_threads()


def warm_up() -> None:
    """Pay torch's one-off costs (the first optimizer step imports ~2 s of modules) up front."""
    w = torch.zeros(2, requires_grad=True)
    (w * 2).sum().backward()
    torch.optim.Adam([w]).step()


def warm_up_in_background() -> None:
    """Run `warm_up` once per process in a daemon thread, so no learner waits for it."""
    global _warm_started
    if not _warm_started:
        _warm_started = True
        threading.Thread(target=warm_up, name="torch-warm-up", daemon=True).start()


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine() or "CPU"


def _ram_gb() -> float | None:
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        return pages * page_size / 2**30
    except (ValueError, OSError, AttributeError):
        return None
