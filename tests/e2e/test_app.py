"""The real app in Chromium: every page renders; live training updates, stops and survives reruns."""
from __future__ import annotations

import re
import time

import pytest
from e2e_support import shot, wait_idle, wait_rerun

from app.navigation import discover

pytestmark = pytest.mark.e2e
PAGES = discover()
EXCEPTION = "[data-testid=stException]"
CHART = "[data-testid=stVegaLiteChart]"
DONE = re.compile(r"Finished \d+ epochs|Early stopping after|Stopped\. The|diverged|The server is busy|cannot train")


def url_of(entry) -> str:
    return "" if entry.part == 0 else entry.slug


def open_page(page, server: str, path: str, query: str = ""):
    page.goto(f"{server}/{path}{query}")
    wait_idle(page)
    page.wait_for_timeout(300)
    return page


def play_tab(page):
    """Open the Play tab (tabs render their content when first shown)."""
    tab = page.get_by_role("tab", name=re.compile("Play"))
    if tab.count():
        tab.first.click()
        wait_idle(page)


def epochs_shown(page) -> int:
    """Epoch count from the progress text while running."""
    text = page.get_by_text(re.compile(r"Epoch \d+/\d+")).first.inner_text()
    return int(re.search(r"Epoch (\d+)/", text).group(1))


TRAINABLE = [e for e in PAGES if "training_panel(" in e.path.read_text(encoding="utf-8")]


@pytest.mark.parametrize("entry", TRAINABLE, ids=[e.stem for e in TRAINABLE])
def test_each_trainable_page_runs_a_short_training(page, server, entry):
    open_page(page, server, url_of(entry))
    play_tab(page)
    button = page.get_by_role("button", name=re.compile(r"^\W*Train\b")).first
    button.wait_for(timeout=60_000)  # fails here if the page has no Train button
    button.click()
    page.get_by_text(DONE).first.wait_for(timeout=180_000)
    assert page.locator(EXCEPTION).count() == 0
    shot(page, f"{entry.stem}-trained")


def test_training_updates_live_stops_and_keeps_epochs(page, server):
    open_page(page, server, "training", "?tr_epochs=200&tr_hidden=256%2C+256")
    play_tab(page)
    page.get_by_role("button", name=re.compile(r"^\W*Train\b")).first.click()
    page.get_by_text(re.compile(r"Epoch \d+/200")).first.wait_for(timeout=60_000)
    first = epochs_shown(page)
    deadline = time.time() + 60
    while epochs_shown(page) < max(first + 1, 2) and time.time() < deadline:
        page.wait_for_timeout(300)
    assert epochs_shown(page) >= max(first + 1, 2), "the progress and chart update live"
    page.locator(CHART).nth(1).wait_for(timeout=30_000)  # loss and accuracy charts are drawn
    shot(page, "training-live")

    # moving a slider during the run reruns the page; the run and its finished epochs carry on
    before = epochs_shown(page)
    slider = page.get_by_role("slider", name="Dropout")
    slider.focus()
    slider.press("ArrowRight")
    wait_idle(page, 60_000)
    page.wait_for_timeout(1500)
    assert epochs_shown(page) >= before

    page.get_by_role("button", name=re.compile(r"Stop$")).first.click()
    kept = page.get_by_text(re.compile(r"Stopped\. The \d+ finished epochs are kept"))
    kept.wait_for(timeout=30_000)
    n = int(re.search(r"The (\d+) finished", kept.inner_text()).group(1))
    assert n >= before >= 2
    page.locator(CHART).nth(1).wait_for(timeout=30_000)  # the finished epochs stay on the charts
    assert page.locator(EXCEPTION).count() == 0
    shot(page, "training-stopped")


def test_a_huge_learning_rate_says_diverged(page, server):
    open_page(page, server, "training", "?tr_lr=10&tr_opt=sgd&tr_epochs=20")
    play_tab(page)
    page.get_by_role("button", name=re.compile(r"^\W*Train\b")).first.click()
    alert = page.get_by_text(re.compile("Training diverged at epoch"))
    alert.wait_for(timeout=60_000)
    assert "too large" in alert.inner_text()
    assert page.locator(EXCEPTION).count() == 0


SETTINGS_URL = "?tr_epochs=50&tr_lr=0.01&tr_bs=128&tr_dropout=0.3&tr_opt=sgd&tr_scaler=minmax&tr_hidden=32%2C+16"
SETTINGS_SHOWN = {"Epochs": "50", "Learning rate": "0.01", "Batch size": "128", "Dropout": "0.30", "Optimizer": "SGD",
                  "Feature scaling": "Min-max", "Hidden layer widths": "32, 16"}


def settings_shown(page) -> dict[str, str]:
    """The 5.2 training settings as the browser shows them (absent ones left out)."""
    shown = {}
    for label in ("Epochs", "Learning rate", "Batch size", "Dropout"):
        box = page.locator("[data-testid=stSlider]", has_text=label)
        if box.count():
            shown[label] = box.first.locator("[data-testid=stSliderThumbValue]").first.inner_text()
    for label in ("Optimizer", "Feature scaling"):
        combo = page.get_by_role("combobox", name=label)
        if combo.count():
            shown[label] = combo.first.input_value()
    widths = page.get_by_label("Hidden layer widths", exact=True)
    if widths.count():
        shown["Hidden layer widths"] = widths.first.input_value()
    return shown


def expect_settings(page, when: str, timeout: float = 30) -> None:
    """A widget drawn from session state is painted with Streamlit's default a moment before its
    value arrives, so wait for the values; the failure names what the browser still shows."""
    deadline = time.time() + timeout
    while (shown := settings_shown(page)) != SETTINGS_SHOWN:
        assert time.time() < deadline, f"{when}: the browser shows {shown}, not {SETTINGS_SHOWN}"
        page.wait_for_timeout(200)


def choose_dataset(page, name: str) -> None:
    page.get_by_role("combobox", name="Dataset").first.click()
    page.get_by_role("option", name=name, exact=True).click()
    wait_rerun(page)


def test_a_dataset_change_keeps_every_training_setting(page, server):
    """Choosing "My CSV file" stops the page until a file comes, so the settings are not drawn for a
    run; they used to come back at their minimum (1 epoch, lr 1e-4, batch 8, SGD, no scaling)."""
    open_page(page, server, "training", SETTINGS_URL)
    play_tab(page)
    expect_settings(page, "opened from the link")
    choose_dataset(page, "My CSV file")
    rows = "".join(f"{i % 7},{(i * 3) % 5},{i % 2}\n" for i in range(60))
    # the dataset's own uploader, by its key: the checkpoint uploader further down is a file uploader too, and
    # while the rerun was drawing, `.first` once found that one, so the CSV never reached the dataset picker
    csv_input = page.locator(".st-key-tr_csv input[type=file]")
    csv_input.wait_for(state="attached")
    csv_input.set_input_files(files=[{"name": "ok.csv", "mimeType": "text/csv", "buffer": ("a,b,label\n" + rows).encode()}])
    page.locator(".st-key-tr_csv [data-testid=stFileChipName]", has_text="ok.csv").wait_for()
    wait_rerun(page)
    expect_settings(page, "after a CSV upload")
    choose_dataset(page, "Wine")
    expect_settings(page, "back to a built-in set")
    assert "tr_epochs=50" in page.url and "tr_opt=sgd" in page.url, page.url
    assert page.locator(EXCEPTION).count() == 0


def test_training_settings_survive_a_visit_to_another_page(page, server):
    """The sidebar opens a page without the last one's query, and Streamlit drops the values of
    widgets a finished run did not draw; 5.2's settings come back as they were."""
    open_page(page, server, "training", SETTINGS_URL)
    play_tab(page)
    expect_settings(page, "opened from the link")
    for title, path in (("Evaluation", "evaluation"), ("Training", "training")):
        more = page.locator("[data-testid=stSidebarNavViewButton]")
        if more.count() and "more" in more.first.inner_text().lower():  # the nav is collapsed: "View 11 more"
            more.first.click()
        page.locator("[data-testid=stSidebarNav] a", has_text=title).first.click()
        page.wait_for_url(re.compile(rf"/{path}(\?|$)"), timeout=60_000)
        wait_idle(page)
    play_tab(page)
    expect_settings(page, "back from 5.3")
    assert "tr_epochs=50" in page.url, page.url
