"""3.2 and 3.3 show no accuracy, filters or forecasts of a model whose run diverged (its weights are NaN):
they say why there is nothing to look at, in the learner's language."""
import pytest
from conftest import open_page, wait_for_jobs

from app.i18n import t

PAGES = [("32_cnn", "cnn_epochs", "cnn_lr"), ("33_rnn", "rn_epochs", "rn_lr")]


@pytest.mark.parametrize(("stem", "epochs", "lr"), PAGES)
def test_a_diverged_run_shows_the_reason_not_views_of_nan_weights(stem, epochs, lr, lang):
    at = open_page(stem, lang)
    at.slider(key=epochs).set_value(1).run()
    at.select_slider(key=lr).set_value(at.select_slider(key=lr).options[-1]).run()  # the largest rate
    at.button(key=next(b.key for b in at.button if (b.key or "").startswith("train_"))).click().run()
    at = wait_for_jobs(at, timeout=300)
    assert not at.exception
    assert [j.status for j in at.session_state["_jobs"].values()] == ["diverged"]
    reason = t("train.untrained.diverged", lang=lang, epoch=1, lr="10")
    assert reason in [c.value for c in at.caption], "the page says why there is nothing to check"
    views = {t(f"{stem}.train.test_acc", lang=lang), t(f"{stem}.train.trained_params", lang=lang, n="")}
    assert not [m.label for m in at.metric if m.label in views], "no metrics of a NaN model"
    assert not [m.value for m in at.markdown if m.value.split("**")[0] in {v.split("**")[0] for v in views}]
