"""5.2 Training on hostile or broken input: checkpoints of the wrong shape, diverged runs, odd CSVs."""
import io

import torch
from conftest import open_page, wait_for_jobs


def saved(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def test_a_checkpoint_holding_non_tensors_is_refused_with_a_message(lang):
    at = open_page("52_training", lang)
    for name, obj in (("ints.pt", {"state_dict": {"w": torch.zeros(2, 3), "n": 3}, "best_epoch": 1}),
                      ("nested.pt", {"state_dict": {"block": {"w": torch.zeros(2)}, "l": [1, 2]}}),
                      ("list.pt", [torch.zeros(2)])):
        at.file_uploader(key="tr_ckpt").upload(name, saved(obj)).run()
        assert not at.exception, name
        assert not at.success, f"{name}: not 'Loaded safely'"
        said = " ".join(e.value for e in at.error)
        expected = ("tensor", "dictionary") if lang == "en" else ("тензор", "словарь")
        assert any(word in said for word in expected), said


def train(at, **settings):
    for key, value in settings.items():
        widget = {"tr_ds": at.selectbox, "tr_opt": at.selectbox, "tr_lr": at.select_slider, "tr_epochs": at.slider}[key]
        widget(key=key).set_value(value).run()
    at.button(key="train_training").click().run()
    return wait_for_jobs(at)


def test_a_diverged_regression_run_gets_a_message_in_the_check_tab(lang):
    at = train(open_page("52_training", lang), tr_ds="diabetes", tr_lr=10.0, tr_opt="sgd", tr_epochs=5)
    job = at.session_state["_jobs"]["training"]
    assert job.status == "diverged" and job.data.task == "regression"
    assert not at.exception, [e.value for e in at.exception]  # was: ValueError: Input contains NaN (r2_score)
    warned = " ".join(w.value for w in at.warning)
    assert ("diverged" if lang == "en" else "разошёлся") in warned, warned
    assert not any(m.label == T52(lang, "sklearn_score") for m in at.metric), "no scores to compare"
    at.run()
    assert not at.exception, "and on every rerun"


def test_a_model_that_predicts_nan_is_not_scored(lang):
    at = train(open_page("52_training", lang), tr_ds="diabetes", tr_epochs=2)
    job = at.session_state["_jobs"]["training"]
    assert job.status == "finished" and any(m.label == T52(lang, "sklearn_score") for m in at.metric)
    for weights in job.best.state.values():
        weights.fill_(float("nan"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert T52(lang, "check_not_finite") in [w.value for w in at.warning]
    assert not any(m.label == T52(lang, "sklearn_score") for m in at.metric)


def T52(lang: str, key: str) -> str:
    from app.i18n import t

    return t(f"52_training.{key}", lang=lang)


def test_a_csv_with_an_overflowing_target_is_refused_before_training(lang):
    at = open_page("52_training", lang)
    at.selectbox(key="tr_ds").set_value("csv").run()
    rows = "".join(f"{i},{i * 0.37:.3f}\n" for i in range(30))
    at.file_uploader(key="tr_csv").upload("big.csv", f"x,y\n{rows}1,1e39\n".encode(), "text/csv").run()
    assert not at.exception
    said = " ".join(e.value for e in at.error)
    assert "1e+39" in said and ("32-bit" if lang == "en" else "32-битные") in said, said
    assert "train_training" not in [b.key for b in at.button], "nothing to train on"


def csv_page(lang: str):
    at = open_page("52_training", lang)
    at.selectbox(key="tr_ds").set_value("csv").run()
    return at


def test_the_csv_fields_speak_the_learners_language(lang):
    at = csv_page(lang)
    uploader = at.get("file_uploader")[0]
    assert uploader.proto.label == T(lang, "common.csv_file", limit="20")
    at.file_uploader(key="tr_csv").upload("ok.csv", b"a,y\n" + b"".join(f"{i},{i * 0.5}\n".encode() for i in range(30)),
                                          "text/csv").run()
    field = at.text_input(key="tr_csv_target")
    assert field.label == T(lang, "common.csv_target") and field.placeholder == T(lang, "common.csv_target_placeholder")
    assert field.label != "target" and field.placeholder != "last column"


def test_library_errors_on_upload_come_in_our_words(lang):
    at = csv_page(lang)
    for name, raw in (("latin.csv", "a,b\n1,é\n".encode("latin-1")), ("ragged.csv", b"a,b\n1,2\n1,2,3,4\n")):
        at.file_uploader(key="tr_csv").upload(name, raw, "text/csv").run()
        assert not at.exception
        [said] = [e.value for e in at.error]
        if lang == "ru":
            assert "Файл не в кодировке UTF-8" in said or "В строке 3 файла" in said, said
        assert "Error tokenizing" not in said


def test_a_rare_class_is_explained_at_upload_not_by_scikit_learn_at_train(lang):
    at = csv_page(lang)
    rows = "".join(f"{i},{i % 2}\n" for i in range(30)) + "5,7\n"
    at.file_uploader(key="tr_csv").upload("rare.csv", ("a,label\n" + rows).encode(), "text/csv").run()
    assert not at.exception
    said = " ".join(e.value for e in at.error)
    assert "least populated" not in said and ("“7”" in said if lang == "en" else "«7»" in said), said


def test_the_data_caption_names_the_task_and_the_split_it_really_uses(lang):
    at = open_page("52_training", lang)
    caption = next(c.value for c in at.caption if "1797" in c.value)
    assert caption.startswith(T(lang, "common.datasets.digits")), "the set's name, not its internal key"
    assert T(lang, "common.tasks.multiclass") in caption and T(lang, "52_training.split_stratified") in caption
    at.selectbox(key="tr_ds").set_value("diabetes").run()
    caption = next(c.value for c in at.caption if "442" in c.value)
    assert T(lang, "common.tasks.regression") in caption and T(lang, "52_training.split_random") in caption
    assert "stratif" not in caption and "стратиф" not in caption
    if lang == "ru":
        assert "regression" not in caption and "digits" not in caption


def T(lang: str, key: str, **params) -> str:
    from app.i18n import t

    return t(key, lang=lang, **params)
