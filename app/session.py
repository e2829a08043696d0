"""Per-learner settings: device override and seed (session state), quiz progress (the progress store)."""
from __future__ import annotations

import streamlit as st
import torch

from app import progress as learner_progress
from core.device import configure_threads, pick_device


def device() -> torch.device:
    """The device the learner's runs use: the detected accelerator unless CPU is forced."""
    configure_threads()
    return pick_device(force_cpu=bool(st.session_state.get("force_cpu", False)))


def seed() -> int:
    return int(st.session_state.get("seed", 0))


def progress() -> dict[str, tuple[int, int]]:
    """Quiz results per page stem: (correct, total), the latest try; kept across reloads and restarts."""
    return learner_progress.quiz_scores()


def record_quiz(stem: str, correct: int, total: int) -> None:
    learner_progress.record_quiz(stem, correct, total)
