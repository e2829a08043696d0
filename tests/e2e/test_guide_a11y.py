"""The guide as a newcomer meets it, in Chromium, in English and Russian: every section's link in view
with nothing expanded, no serious or critical axe-core violation that our code or theme causes, and
no page wider than a phone (390×844). One browser context per language walks every page through the
menu, as a learner would; docs/ACCESSIBILITY.md lists what Streamlit itself causes."""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from e2e_support import wait_idle

from app.i18n import LANGS, t
from app.navigation import discover

pytestmark = pytest.mark.e2e
PAGES = discover()
EXCEPTION = "[data-testid=stException]"
NAV_LINK = "[data-testid=stSidebarNav] a[data-testid=stSidebarNavLink]"
DESKTOP = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}
AXE = Axe()  # axe-core as axe-playwright-python bundles it
AXE_OPTIONS = {"resultTypes": ["violations"], "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
# Colour contrast does not depend on the language and is most of axe's time: checked in English only.
AXE_RULES = {"en": {}, "ru": {"rules": {"color-contrast": {"enabled": False}}}}
# Violations of Streamlit's own markup (docs/ACCESSIBILITY.md): rule → the elements it is excused on.
# A disabled widget's label and value are faded on purpose (WCAG 1.4.3 exempts inactive controls), but
# Streamlit marks them with a `disabled` attribute that a <label> or <div> cannot have, so axe checks them.
STREAMLIT_CAUSED = {"color-contrast": "label[data-testid=stWidgetLabel][disabled], [data-testid=stSliderThumbValue][disabled]"}
# The run is over when the script is idle and no element of the page before is left over (stale).
PAGE_SETTLED = """() => {
    const app = document.querySelector('[data-testid=stApp]');
    return app && app.dataset.testScriptState === 'notRunning'
        && !document.querySelector('[data-testid=stMain] [data-stale=true]');
}"""


def menu_title(entry, lang: str) -> str:
    return t(f"{entry.stem}.title", lang=lang)


def open_home(browser, server: str, lang: str):
    context = browser.new_context(viewport=DESKTOP, locale="ru-RU" if lang == "ru" else "en-US")
    page = context.new_page()
    page.goto(f"{server}/?lang={lang}")
    wait_idle(page)
    return context, page


def go_to(page, entry, lang: str) -> None:
    """Click the page's menu link and wait until its run has finished."""
    title = menu_title(entry, lang)
    page.locator(NAV_LINK, has_text=title).first.click()
    heading = t(f"{entry.stem}.heading" if entry.part == 0 else f"{entry.stem}.title", lang=lang)
    page.locator("[data-testid=stMain] h1", has_text=heading).first.wait_for(timeout=120_000)
    page.wait_for_function(PAGE_SETTLED, timeout=120_000)
    page.wait_for_timeout(200)  # charts size themselves after the run


def serious_violations(page, rules: dict, whole_page: bool) -> list[str]:
    """'rule · element · html' for every serious or critical axe violation not caused by Streamlit, in
    the main area (and the sidebar when `whole_page`). axe is injected once: the menu changes pages
    without reloading the document."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.axe_script)
    context = "document" if whole_page else "{include: [['[data-testid=stMain]']]}"
    result = page.evaluate(f"options => axe.run({context}, options)", {**AXE_OPTIONS, **rules})
    found = []
    for violation in result["violations"]:
        if violation["impact"] not in ("serious", "critical"):
            continue
        for node in violation["nodes"]:
            target = " ".join(map(str, node["target"]))
            excused = STREAMLIT_CAUSED.get(violation["id"])
            if excused and page.evaluate("([target, excused]) => !!document.querySelector(target)?.closest(excused)",
                                         [target, excused]):
                continue
            found.append(f"{violation['id']} · {target} · {node['html'][:200]}")
    return found


def horizontal_overflow(page) -> int:
    """How many pixels the page is wider than the window (0 when nothing scrolls sideways)."""
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize("lang", LANGS)
def test_every_section_link_is_visible_without_expanding_anything(browser, server, lang):
    context, page = open_home(browser, server, lang)
    try:
        links = page.locator(NAV_LINK)
        shown = [links.nth(i).inner_text().strip() for i in range(links.count()) if links.nth(i).is_visible()]
        missing = [menu_title(e, lang) for e in PAGES if not any(menu_title(e, lang) in s for s in shown)]
        assert missing == [], f"not in the menu without expanding it: {missing}; shown: {shown}"
        assert page.locator("[data-testid=stSidebarNavViewButton]").count() == 0, "a 'View more' button is shown"
        assert page.locator("[data-testid=stMainMenu]").count() == 0, "the English-only options menu is shown"
    finally:
        context.close()


def tabs(page):
    return page.locator("[data-testid=stMain] [data-testid=stTabs]").first.get_by_role("tab")


def audit_tab(page, lang: str, whole_page: bool) -> list[str]:
    """No exception shown, axe on what is shown, then the width at a phone's size."""
    found = [f"shows an exception: {text[:300]}" for text in page.locator(EXCEPTION).all_inner_texts()]
    found += serious_violations(page, AXE_RULES[lang], whole_page)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)
    overflow = horizontal_overflow(page)
    if overflow > 0:
        found.append(f"{overflow} px wider than a {PHONE['width']} px phone")
    page.set_viewport_size(DESKTOP)
    return found


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_passes_axe_and_fits_a_phone(browser, server, lang):
    """Every page's first two tabs (the Idea and the Play tab, where each page differs), and all six
    tabs of the first section (the others share its Check, Code, Self-check and Exercises frame),
    each in the page's language (`go_to` waits for the translated heading) and without an exception."""
    context, page = open_home(browser, server, lang)
    problems: dict[str, list[str]] = {}
    try:
        for n, entry in enumerate([*PAGES[1:], PAGES[0]]):  # Home last: it is open, and its link then works too
            go_to(page, entry, lang)
            found = audit_tab(page, lang, whole_page=n == 0)
            shown = tabs(page).count() if n == 0 else min(tabs(page).count(), 2)
            for i in range(1, shown):
                tabs(page).nth(i).click()
                page.wait_for_timeout(300)
                found += [f"tab {i + 1}: {p}" for p in audit_tab(page, lang, whole_page=False)]
            if found:
                problems[entry.stem] = found
    finally:
        context.close()
    assert problems == {}, "\n".join(f"{stem}: {p}" for stem, ps in problems.items() for p in ps)
