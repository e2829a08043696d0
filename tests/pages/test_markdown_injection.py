"""User text never renders as Markdown: links, images and emphasis from a URL, a CSV (its name, headers,
class labels), a typed target or a checkpoint's tensor names are shown as the characters they are."""
import io

import pytest
import torch
from conftest import open_page, wait_for_jobs

from app.text import escape_md

LINK, IMAGE, BOLD = "[Click](http://evil.example)", "![p](http://evil.example/x.png)", "*bold*"


def shown(at) -> list[str]:
    """Every string Streamlit renders as Markdown on this page."""
    out = []
    for kind in ("markdown", "caption", "success", "info", "warning", "error", "title", "header", "subheader"):
        out += [str(e.value) for e in getattr(at, kind)]
    return out + [m.label for m in at.metric]


def assert_inert(at, *payloads: str) -> None:
    """No payload appears raw; each appears escaped, so the test cannot pass by not showing it."""
    assert not at.exception, [e.value for e in at.exception]
    texts = shown(at)
    for payload in payloads:
        assert not any(payload in t for t in texts), f"{payload!r} would render as Markdown"
        assert any(escape_md(payload) in t for t in texts), f"{payload!r} is not shown at all"
    assert not any("](http" in t or "<img" in t for t in texts)


@pytest.mark.parametrize("payload", [LINK, IMAGE, BOLD])
def test_a_url_value_is_quoted_not_rendered(payload, lang):
    from conftest import page_path
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(page_path("52_training"), default_timeout=120)
    at.session_state["force_cpu"], at.session_state["lang"] = True, lang
    at.query_params["tr_epochs"] = payload
    at.run()
    assert at.slider(key="tr_epochs").value == 30, "the default is used"
    assert_inert(at, payload)


def upload(at, name: str, text: str):
    at.file_uploader(key="tr_csv").upload(name, text.encode(), "text/csv").run()
    return at


def csv_page(lang: str):
    at = open_page("52_training", lang)
    at.selectbox(key="tr_ds").set_value("csv").run()
    return at


def test_an_uploaded_file_name_is_shown_as_text(lang):
    rows = "".join(f"{i},{i % 2}\n" for i in range(30))
    at = upload(csv_page(lang), f"{LINK}{BOLD}.csv", "a,label\n" + rows)
    assert_inert(at, LINK, BOLD)


def test_csv_headers_and_a_typed_target_are_shown_as_text(lang):
    rows = "".join(f"x{i},{i},{i % 2}\n" for i in range(30))
    at = upload(csv_page(lang), "h.csv", f'"{IMAGE}",{BOLD},label\n' + rows)  # a non-numeric column named IMAGE
    assert at.error and any(escape_md(IMAGE) in e.value for e in at.error)
    assert_inert(at, IMAGE)
    rows = "".join(f"{i},{i % 2}\n" for i in range(30))
    at = upload(at, "t.csv", "a,label\n" + rows)
    at.text_input(key="tr_csv_target").input(f"{BOLD} {LINK}").run()  # no such column: the message quotes it
    assert at.error
    assert_inert(at, BOLD, LINK)


def test_checkpoint_tensor_names_are_shown_as_text(lang):
    buf = io.BytesIO()
    torch.save({"state_dict": {"w": torch.zeros(2), LINK: 3}}, buf)
    at = open_page("52_training", lang)
    at.file_uploader(key="tr_ckpt").upload("ckpt.pt", buf.getvalue()).run()
    assert at.error
    assert_inert(at, LINK)


def test_class_labels_and_a_file_name_from_a_csv_are_shown_as_text_on_5_3(lang):
    from core.csv_loader import load_csv
    from core.recipes import DIGITS_MLP, Recipe, make_job, prepare_data

    labels = (BOLD, LINK)
    raw = "a,b,label\n" + "".join(f"{i % 7},{(i * 3) % 5},{labels[i % 2]}\n" for i in range(60))
    ds = load_csv(raw.encode(), name=f"{IMAGE}.csv")
    recipe = Recipe(dataset=ds.name, hidden=(8,), train=DIGITS_MLP.train.__class__(num_epochs=2, batch_size=16))
    job = make_job(recipe, prepare_data(recipe, ds)).run()
    assert job.status == "finished" and ds.class_names == labels
    at = open_page("53_evaluation", lang, _jobs={"training": job})
    assert at.radio(key="ev_src").value == "trained"
    assert_inert(at, IMAGE, LINK)  # the file name in the caption; the positive class in the threshold caption


@pytest.mark.parametrize("payload", [LINK, IMAGE, BOLD])
def test_typed_digits_and_layer_widths_are_quoted_not_rendered(payload, lang):
    """3.4 quotes what it could not read as digits; 3.1 quotes a width box it could not read."""
    at = open_page("34_transformer", lang)
    at.select_slider(key="tf_dmodel").set_value(16).run()
    at.slider(key="tf_layers").set_value(1).run()
    at.slider(key="tf_epochs").set_value(1).run()
    at.button(key="train_tiny_transformer").click().run()
    at = wait_for_jobs(at, timeout=300)
    at.text_input(key="tf_text").set_value(f"3 1 {payload}").run()
    assert not at.exception
    errors = [e.value for e in at.error]
    refused = "\\*" if payload == BOLD else "\\["  # one of the refused characters, escaped
    assert len(errors) == 1 and refused in errors[0], errors
    assert not any(payload in e or "](" in e for e in errors), "3.4 names the characters it refused, escaped"
    at = open_page("31_mlp", lang)
    at.text_input(key="mlp_hidden").set_value(f"8, {payload}").run()
    assert_inert(at, payload)
