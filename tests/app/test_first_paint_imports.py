"""The first paint waits for no torch: the router and Home run without importing it (a cold
`import torch` costs seconds; the background warm-up loads it after the first page is drawn)."""
import subprocess
import sys
from pathlib import Path

from core import exercises

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "pandas", "altair", "numpy")

# The router runs Home (its default page) in AppTest, with the two background starters switched
# off: they are meant to import torch, after the first paint, from their own threads.
SCRIPT = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
import app.practice, core.device
core.device.warm_up_in_background = lambda *modules: None
app.practice.start_sandbox_in_background = lambda: None
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({str(ROOT / "app" / "streamlit_app.py")!r}, default_timeout=120)
at.session_state["lang"] = "en"
at.run()
assert not at.exception, [e.value for e in at.exception]
assert at.title and len(at.metric) == 4, "Home did not render"
print("loaded:", *[name for name in {HEAVY!r} if name in sys.modules])
"""


def test_the_router_and_home_run_without_torch():
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "loaded:", done.stdout


def test_home_counts_the_same_exercises_as_the_registry():
    registry: dict[str, int] = {}
    for ex in exercises.all_exercises():
        registry[ex.section[:2]] = registry.get(ex.section[:2], 0) + 1
    assert exercises.counts() == registry
