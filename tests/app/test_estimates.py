"""The run-time estimate: keyed by settings values, probed once per key, never on the script thread."""
import threading
import types
from dataclasses import replace

import pytest
from conftest import open_page

from app import estimates
from core import patterns as P
from core.jobs import TrainingJob
from core.models import MLPConfig, build_model
from core.recipes import DIGITS_MLP, Recipe, make_job, prepare_data
from core.trainer import TrainConfig


@pytest.fixture
def probes(monkeypatch):
    """A fake probe: records the thread it ran on and the settings it timed; `gate` holds it back."""
    calls: list[tuple[str, TrainingJob]] = []
    gate = threading.Event()
    gate.set()

    def fake(job, *args, **kwargs) -> float:
        assert gate.wait(60)
        calls.append((threading.current_thread().name, job))
        return 0.25

    estimates._clear()
    monkeypatch.setattr(estimates, "probe_epoch_seconds", fake)
    yield types.SimpleNamespace(calls=calls, gate=gate)
    gate.set()
    assert estimates.wait_for_estimates(60)
    estimates._clear()


def recipe(**train) -> Recipe:
    return replace(DIGITS_MLP, train=replace(DIGITS_MLP.train, **train))


def test_the_same_settings_are_probed_once_whatever_the_epochs_lr_or_seed(probes):
    for r in (recipe(), recipe(num_epochs=5), recipe(lr=0.1), recipe(seed=3)):
        estimates.estimate_seconds(lambda r=r: make_job(r), timeout=60)
    assert len(probes.calls) == 1
    total, per_epoch, epochs, from_run = estimates.estimate_seconds(lambda: make_job(recipe(num_epochs=8)))
    assert (total, per_epoch, epochs, from_run) == (2.0, 0.25, 8, False)
    estimates.estimate_seconds(lambda: make_job(replace(DIGITS_MLP, hidden=(32,))), timeout=60)
    estimates.estimate_seconds(lambda: make_job(recipe(batch_size=128)), timeout=60)
    assert len(probes.calls) == 3, "a new model or batch size is timed again"


def test_the_probe_runs_in_its_own_thread_and_the_caller_gets_pending_meanwhile(probes):
    probes.gate.clear()
    assert estimates.estimate_seconds(lambda: make_job(DIGITS_MLP)) == estimates.PENDING
    assert estimates.estimate_seconds(lambda: make_job(DIGITS_MLP)) == estimates.PENDING
    probes.gate.set()
    assert estimates.wait_for_estimates(60)
    assert [name for name, _ in probes.calls] == [estimates.PROBE_THREAD]
    assert estimates.estimate_seconds(lambda: make_job(DIGITS_MLP))[1] == 0.25


def test_waiting_probes_are_bounded_and_the_latest_asked_goes_first(probes, monkeypatch):
    monkeypatch.setattr(estimates, "MAX_PENDING", 2)
    probes.gate.clear()
    widths = (8, 16, 24, 32, 40)
    for w in widths:
        estimates.estimate_seconds(lambda w=w: make_job(replace(DIGITS_MLP, hidden=(w,))))
    assert len(estimates._pending) <= 2
    probes.gate.set()
    assert estimates.wait_for_estimates(60)
    timed = [job.meta["recipe"]["hidden"] for _, job in probes.calls]
    assert len(timed) <= 3 and timed[-2:] == [(40,), (32,)], timed


def test_the_key_builds_no_model_and_reads_the_settings_the_model_is_built_from():
    built = []
    data = prepare_data(DIGITS_MLP)

    def job(cfg, **train) -> TrainingJob:
        return TrainingJob(lambda: built.append(1) or build_model(cfg), data, TrainConfig(**train))

    small, big = MLPConfig(64, 10, (16,)), MLPConfig(64, 10, (256, 256))
    assert estimates.settings_key(job(small)) == estimates.settings_key(job(small, num_epochs=3, lr=0.5))
    assert estimates.settings_key(job(small)) != estimates.settings_key(job(big))
    assert estimates.settings_key(job(small)) != estimates.settings_key(job(small, batch_size=8))
    assert not built, "no model was built to key the settings"
    # 4.2's DenseNet: its depth lives only in the config the build function closes over
    raw = P.digits_splits(0, False)
    dense = lambda n: estimates.settings_key(P.densenet_job(P.DenseNetConfig(num_layers=n), raw, 3, 0, "cpu"))  # noqa: E731
    assert dense(4) == dense(4) and dense(4) != dense(12)


def test_a_pages_lambda_is_keyed_by_the_globals_it_reads():
    page = {"build_model": build_model, "cfg": MLPConfig(64, 10, (16,))}
    build = eval("lambda: build_model(cfg)", page)  # a page script's top-level lambda
    data = prepare_data(DIGITS_MLP)
    before = estimates.settings_key(TrainingJob(build, data, TrainConfig()))
    page["cfg"] = MLPConfig(64, 10, (512,))
    assert estimates.settings_key(TrainingJob(build, data, TrainConfig())) != before


def test_a_real_run_replaces_the_probe_for_the_same_settings(probes):
    r = recipe(num_epochs=3)
    estimates.estimate_seconds(lambda: make_job(r), timeout=60)
    job = make_job(r).run()
    estimates.remember_epoch_seconds(job)
    total, per_epoch, epochs, from_run = estimates.estimate_seconds(lambda: make_job(recipe(num_epochs=6)))
    assert from_run and per_epoch == job.elapsed / 3 and epochs == 6
    assert estimates.known_seconds(make_job(r)) == pytest.approx(job.elapsed)


def test_the_panel_says_estimating_until_the_probe_is_done(probes, lang):
    probes.gate.clear()
    at = open_page("52_training", lang)
    assert not at.exception
    said = [c.value for c in at.caption if c.value.startswith("⏱")]
    assert said == [estimates.t("train.estimating", lang=lang)], said
    probes.gate.set()
    assert estimates.wait_for_estimates(60)
    at.run()
    said = [c.value for c in at.caption if c.value.startswith("⏱")]
    assert len(said) == 1 and ("About" if lang == "en" else "Примерно") in said[0], said
    assert [name for name, _ in probes.calls] == [estimates.PROBE_THREAD]


@pytest.mark.parametrize("stem", ["52_training", "42_patterns"])
def test_an_idle_rerun_asks_for_no_new_probe(probes, stem):
    at = open_page(stem)
    assert estimates.wait_for_estimates(60)
    asked = len(probes.calls)
    assert asked >= 1
    at.run()
    assert estimates.wait_for_estimates(60)
    assert not at.exception and len(probes.calls) == asked, "the same settings got a new key on a rerun"
