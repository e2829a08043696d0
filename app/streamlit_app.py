"""Entry point: `streamlit run app`. It only routes."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import streamlit as st  # noqa: E402

from app.navigation import HEAVY_MODULES, navigation  # noqa: E402
from app.practice import start_sandbox_in_background  # noqa: E402
from app.runs import configure_from_secrets, start_runner_in_background  # noqa: E402
from app.sidebar import render_sidebar  # noqa: E402
from core.device import plan_sessions, warm_up_in_background  # noqa: E402

# HEAVY_MODULES load in the background after the first page is drawn; Home and this router never import torch.
st.set_page_config(page_title="Deep Learning with PyTorch", page_icon="🔥", layout="wide")
st.html(Path(__file__).with_name("style.css"))  # fixes to Streamlit's markup (docs/ACCESSIBILITY.md)
limits = configure_from_secrets()  # hosted mode: DLDASH_HOSTED=1 or a [hosted] secrets table
plan_sessions(limits.sessions if limits.hosted else 1)
render_sidebar()
navigation().run()
warm_up_in_background(*HEAVY_MODULES)  # after the first page is drawn: torch, its thread pool, the heavy modules
start_sandbox_in_background()  # the exercise checker's warm worker
if limits.hosted:
    start_runner_in_background()  # the training pool's workers (DLDASH_RUNNER; hosted: processes)
