"""Entry point: `streamlit run app`. It only routes."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import streamlit as st  # noqa: E402

from app.navigation import navigation  # noqa: E402
from app.practice import start_sandbox_in_background  # noqa: E402
from app.runs import configure_from_secrets  # noqa: E402
from app.sidebar import render_sidebar  # noqa: E402
from core.device import configure_threads, warm_up_in_background  # noqa: E402

st.set_page_config(page_title="Deep Learning with PyTorch", page_icon="🔥", layout="wide")
limits = configure_from_secrets()  # hosted mode: DLDASH_HOSTED=1 or a [hosted] secrets table
configure_threads(sessions=limits.sessions if limits.hosted else 1)
warm_up_in_background()
render_sidebar()
navigation().run()
start_sandbox_in_background()  # after the first page is drawn: the exercise checker's warm worker
