"""Screenshot a page of a running app in Debian Chromium.

Usage: python scripts/screenshot.py URL OUT.png [click:TEXT] [sleep:SECONDS] [fill:LABEL=VALUE] ...
Start the app first: streamlit run app --server.headless true --server.port PORT
"""
from __future__ import annotations

import os
import shutil
import sys
import time

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def main(url: str, out: str, actions: list[str]) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        # Streamlit scrolls inside its own container, so a tall viewport is what captures a long page
        page = browser.new_page(viewport={"width": 1400, "height": int(os.environ.get("SHOT_HEIGHT", 1000))})
        page.goto(url)
        page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=90_000)
        time.sleep(1.5)
        for action in actions:
            kind, _, arg = action.partition(":")
            if kind == "click":
                page.get_by_text(arg, exact=True).first.click()
            elif kind == "sleep":
                time.sleep(float(arg))
            elif kind == "fill":
                label, _, value = arg.partition("=")
                page.get_by_label(label).fill(value)
                page.keyboard.press("Enter")
        time.sleep(1)
        page.screenshot(path=out, full_page=True)
        errors = page.locator("[data-testid=stException]").count()
        print(f"saved {out}; exceptions on page: {errors}")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
