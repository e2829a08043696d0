"""4.1 Layers: every demo reacts to its widgets, the checks agree, the overfitting run trains, in EN and RU."""
from conftest import open_page, texts, wait_for_jobs


def test_renders_and_widgets_change_output(lang):
    at = open_page("41_layers", lang)
    assert not at.exception
    assert len(at.tabs) == 6 and at.latex and len(at.radio) >= 3
    shown = texts(at)
    assert "100,480" in shown  # 784·128 + 128, both by formula and counted
    at.toggle(key="ly_bias").set_value(False).run()
    assert "100,352" in texts(at)
    # GroupNorm with 6 channels in 2 groups: 4 samples × 2 groups = 8 statistic groups
    at.selectbox(key="ly_norm").set_value("group").run()
    expected = "8 groups of 108 values" if lang == "en" else "8 групп по 108 значений"
    caption = next(c.value for c in at.caption if ("groups of" in c.value) or ("групп" in c.value))
    assert expected in caption, caption  # 3 channels × 6 × 6 = 108 values per group
    at.slider(key="ly_groups").set_value(4).run()
    assert not at.exception
    assert any(("cannot be split" in e.value) or ("нельзя разбить" in e.value) for e in at.error)
    at.slider(key="ly_groups").set_value(3).run()
    assert not at.error
    # a strongly negative bias kills most ReLU units
    dead_before = next(m.value for m in at.metric if m.label in ("Dead ReLU units", "Мёртвые ReLU"))
    at.slider(key="ly_shift").set_value(-4.0).run()
    dead_after = next(m.value for m in at.metric if m.label in ("Dead ReLU units", "Мёртвые ReLU"))
    assert float(dead_after.rstrip("%")) > float(dead_before.rstrip("%"))
    at.selectbox(key="ly_act").set_value("gelu").run()
    assert not at.exception
    # no drop: DropBlock zeroes nothing
    at.slider(key="ly_p").set_value(0.0).run()
    zero = next(m.value for m in at.metric if m.label in ("Zeroed by DropBlock", "Обнулено DropBlock"))
    assert zero == "0.0%"
    # the check tab: every normalization within 1e-5 of torch.nn, eval-mode DropBlock is the identity
    diffs = [float(v) for df in at.dataframe for col in df.value.columns if "|" in col for v in df.value[col]]
    assert diffs and max(diffs) < 1e-5
    assert any(m.value == "✅" for m in at.metric)
    # weight decay: torch's weight_decay=λ is the gradient of (λ/2)‖w‖²; AdamW differs from Adam + L2
    wd = next(df.value for df in at.dataframe if df.value.shape == (4, 2) and "AdamW" in " ".join(df.value.iloc[:, 0]))
    gaps = [float(v) for v in wd.iloc[:, 1]]
    assert gaps[0] < 1e-12 and gaps[1] > 1e-3 and gaps[2] > 1e-3 and gaps[3] < 1e-12


def test_overfitting_run_reports_the_gap(lang):
    at = open_page("41_layers", lang)
    at.slider(key="ly_of_epochs").set_value(5).run()
    at.button(key="train_ly_overfit").click().run()
    at = wait_for_jobs(at)
    assert not at.exception
    job = at.session_state["_jobs"]["ly_overfit"]
    assert job.status == "finished" and len(job.records) == 5
    assert len(job.data.y_train) == 100
    assert ("Gap: val − train loss" if lang == "en" else "Разрыв: валидация − обучение") in texts(at)
