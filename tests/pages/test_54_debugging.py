"""5.4 Debugging and speed: training with per-layer norms, failure switches and the measurements, EN and RU."""
import json

from conftest import open_page, texts, wait_for_jobs


def _charts(at) -> list:
    return at.get("vega_lite_chart") or at.get("arrow_vega_lite_chart")


def test_renders_all_five_parts_and_the_check(lang):
    at = open_page("54_debugging", lang)
    assert not at.exception
    assert len(at.tabs) == 6
    assert at.latex, "the idea tab shows formulas"
    assert len(at.radio) >= 4, "failure switch and quiz questions"
    assert any("def layer_grad_norms" in c.value for c in at.code), "the code tab shows the real core source"
    shown = texts(at)
    # the check tab: our norms vs torch.nn.utils and the trainer agree to float rounding
    diff = next(m for m in at.metric if m.label in ("Largest |difference|", "Наибольшая |разница|"))
    assert float(diff.value) < 1e-4
    assert ("difference 0 bytes" in shown) if lang == "en" else ("разница 0 байт" in shown)
    # moving the Linear sizes changes the accounting, which still matches
    at.slider(key="dbg_chk_b").set_value(7).run()
    at.slider(key="dbg_chk_in").set_value(13).run()
    assert not at.exception
    assert any(m.value == f"{7 * 13 * 4:,} B" for m in at.metric)
    assert at.success, "the memory accounting matches the known sizes"


def test_gradient_heatmap_and_clipping(lang):
    at = open_page("54_debugging", lang)
    at.slider(key="dbg_epochs").set_value(3).run()
    at.slider(key="dbg_depth").set_value(3).run()
    at.select_slider(key="dbg_clip").set_value(0.1).run()
    at.button(key="train_dbg_grads").click().run()
    at = wait_for_jobs(at)
    assert not at.exception
    job = at.session_state["_jobs"]["dbg_grads"]
    assert job.status == "finished" and len(job.records) == 3
    assert job.config.track_layer_grads and job.config.clip_grad_norm == 0.1
    assert len(job.records[-1].layer_grad_norms) == 4  # 3 hidden layers + the head
    shown = texts(at)
    assert ("Clip level 0.1" in shown) if lang == "en" else ("Порог 0.1" in shown)
    titles = [str(c.spec) for c in _charts(at)]
    assert any("log" in s and "rect" in s for s in titles), "a log-scaled heatmap is drawn"
    # what clipping changes: the same run again, clipped and unclipped, on one chart
    at.button(key="dbg_clip_cmp").click().run()
    assert not at.exception
    max_norm, lr, runs = at.session_state["_dbg_results"]["clip"]
    assert max_norm == 0.1 and set(runs) == {"clipped", "unclipped"} and all(len(r) == 3 for r in runs.values())
    labels = [m.label for m in at.metric]
    assert (("clipped at 0.1" in labels and "no clipping" in labels) if lang == "en"
            else ("обрезка 0.1" in labels and "без обрезки" in labels)), labels
    specs = [json.dumps(json.loads(c.spec), ensure_ascii=False) for c in _charts(at)]
    assert any(("Validation loss" if lang == "en" else "Потери на валидации") in s for s in specs)


def test_failure_switches_diagnose(lang):
    at = open_page("54_debugging", lang)
    at.slider(key="dbg_fail_epochs").set_value(3).run()
    at.radio(key="dbg_case").set_value("huge_lr").run()
    at.button(key="train_dbg_fail").click().run()
    at = wait_for_jobs(at)
    assert not at.exception
    assert at.session_state["_jobs"]["dbg_fail"].status == "diverged"
    assert ("Diagnosis: diverged" in texts(at)) if lang == "en" else ("Диагноз: расходимость" in texts(at))

    at.radio(key="dbg_case").set_value("deep_sigmoid").run()
    at.button(key="train_dbg_fail").click().run()
    at = wait_for_jobs(at)
    assert not at.exception
    assert ("vanishing gradients" in texts(at)) if lang == "en" else ("затухающие градиенты" in texts(at))


def test_measurements_behind_buttons(lang):
    at = open_page("54_debugging", lang)
    at.select_slider(key="dbg_ob_bs").set_value(16).run()
    at.button(key="dbg_ob_run").click().run()
    assert not at.exception
    final = float(at.metric[0].value)
    assert final < 0.05
    at.select_slider(key="dbg_prof_bs").set_value(32).run()
    at.select_slider(key="dbg_prof_w").set_value(32).run()
    at.button(key="dbg_prof_run").click().run()
    assert not at.exception
    assert "addmm" in at.dataframe[0].value.iloc[:, 0].str.cat(sep=" ") or "mm" in at.dataframe[0].value.iloc[:, 0].str.cat()
    assert at.get("download_button"), "the Chrome trace can be downloaded"
    at.slider(key="dbg_ck_depth").set_value(8).run()
    at.select_slider(key="dbg_ck_w").set_value(64).run()
    at.select_slider(key="dbg_ck_bs").set_value(64).run()
    at.button(key="dbg_ck_run").click().run()
    assert not at.exception
    off, on = at.session_state["_dbg_results"]["ckpt"]
    assert on.activation_bytes < off.activation_bytes
    at.select_slider(key="dbg_amp_w").set_value(64).run()
    at.slider(key="dbg_amp_epochs").set_value(1).run()
    at.button(key="dbg_amp_run").click().run()
    assert not at.exception
    runs = at.session_state["_dbg_results"]["amp"]
    assert [r.precision for r in runs] == ["fp32", "bf16"]
    assert all(r.status == "finished" for r in runs)
    assert len(_charts(at)) >= 5
