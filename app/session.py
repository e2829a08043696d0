"""Per-learner settings kept in session state: device override, seed, quiz progress."""
from __future__ import annotations

import streamlit as st
import torch

from core.device import configure_threads, pick_device


def device() -> torch.device:
    """The device the learner's runs use: the detected accelerator unless CPU is forced."""
    configure_threads()
    return pick_device(force_cpu=bool(st.session_state.get("force_cpu", False)))


def seed() -> int:
    return int(st.session_state.get("seed", 0))


def progress() -> dict[str, tuple[int, int]]:
    """Quiz results per page stem: (correct, total)."""
    return st.session_state.setdefault("progress", {})


def record_quiz(stem: str, correct: int, total: int) -> None:
    progress()[stem] = (correct, total)
