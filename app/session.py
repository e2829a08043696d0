"""Per-learner settings: device override and seed (session state), quiz progress (the progress store)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from app import progress as learner_progress
from core.device import DeviceInfo, configure_threads, describe_host, pick_device

if TYPE_CHECKING:
    import torch


def device() -> torch.device:
    """The device the learner's runs use: the detected accelerator unless CPU is forced."""
    configure_threads()
    return pick_device(force_cpu=bool(st.session_state.get("force_cpu", False)))


def device_info() -> DeviceInfo:
    """`device()` described, without importing torch before the warm-up has (Home, the sidebar)."""
    return describe_host(force_cpu=bool(st.session_state.get("force_cpu", False)))


def seed() -> int:
    return int(st.session_state.get("seed", 0))


def progress() -> dict[str, tuple[int, int]]:
    """Quiz results per page stem: (correct, total), the latest try; kept across reloads and restarts."""
    return learner_progress.quiz_scores()


def record_quiz(stem: str, correct: int, total: int) -> None:
    learner_progress.record_quiz(stem, correct, total)
