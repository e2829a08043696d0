"""Hosted-mode limits: read from env/secrets, enforced inside TrainingJob whatever the caller asks."""
from __future__ import annotations

import pytest

from core import limits
from core.jobs import JobSlots, Status, TrainingJob
from core.limits import LimitExceeded, Limits, count_parameters_of, enforce, limits_from
from core.models import MLPConfig, build_model
from core.recipes import Recipe, make_job
from core.runner import Runner, ThreadBackend
from core.trainer import TrainConfig


def runner(slots: JobSlots) -> Runner:
    return Runner(ThreadBackend(), slots=slots)


HOSTED = Limits(hosted=True, max_epochs=2, max_train_samples=40, max_parameters=5_000, max_jobs=1)
SMALL = Recipe(dataset="iris", hidden=(8,), train=TrainConfig(num_epochs=30, batch_size=16, seed=0))


def test_env_and_secrets_are_read_and_bad_values_fall_back():
    assert limits_from({}) == Limits(hosted=False)
    lim = limits_from({"DLDASH_HOSTED": "1", "DLDASH_MAX_EPOCHS": "7", "DLDASH_MAX_JOBS": "zero", "DLDASH_MAX_PARAMS": "-5"})
    assert lim.hosted and lim.max_epochs == 7 and lim.max_jobs == Limits().max_jobs and lim.max_parameters == 10
    from_secrets = limits_from({}, {"enabled": True, "max_jobs": 3})
    assert from_secrets.hosted and from_secrets.max_jobs == 3
    assert not limits_from({"DLDASH_HOSTED": "0"}, {"enabled": True}).hosted, "the env var wins over secrets"


def test_parameter_count_on_meta_matches_the_real_model():
    config = MLPConfig(64, 10, (128, 64), "relu", 0.1, False)
    real = sum(p.numel() for p in build_model(config).parameters())
    assert count_parameters_of(lambda: build_model(config)) == real == 64 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10


def test_local_mode_changes_nothing():
    job = make_job(SMALL)
    out = enforce(Limits(hosted=False), job.config, job.data, job.build_model)
    assert out.config is job.config and out.data is job.data and out.notes == ()


def test_job_clamps_epochs_and_samples_before_it_trains():
    job = make_job(SMALL)
    assert job.start(runner(JobSlots(4)), limits=HOSTED)
    job.join(60)
    assert job.status == "finished" and len(job.records) == 2 and job.config.num_epochs == 2
    assert len(job.data.y_train) == 40 and {c for c, _ in job.limit_notes} == {"epochs_clamped", "samples_clamped"}


def test_a_model_over_the_limit_is_refused_with_a_reason():
    job = make_job(Recipe(dataset="iris", hidden=(256, 256), train=SMALL.train))
    assert not job.start(runner(JobSlots(4)), limits=HOSTED)
    assert job.status == "refused" and job.done and job.model is None
    assert isinstance(job.refusal, LimitExceeded) and job.refusal.params["limit"] == 5_000
    assert job.refusal.params["params"] > 5_000


def test_run_in_the_calling_thread_is_checked_too():
    limits.configure(HOSTED)
    try:
        job = make_job(SMALL)
        job.run()
        assert len(job.records) == 2
    finally:
        limits.configure(Limits(hosted=False))


def test_job_slots_queue_extra_jobs_and_one_learner_gets_one_run():
    slots = JobSlots(1)
    shared = runner(slots)
    first, second, again = make_job(SMALL), make_job(SMALL), make_job(SMALL)
    assert first.start(shared, learner="a", limits=HOSTED)
    assert second.start(shared, learner="b", limits=HOSTED) and second.status == Status.QUEUED
    assert not again.start(shared, learner="a", limits=HOSTED), "a has a run already"
    assert again.status == Status.REFUSED and again.refusal.code == "one_run"
    first.join(60)
    second.join(60)
    assert second.status == Status.FINISHED and slots.free == 1


def test_hosted_mode_sets_the_shared_slot_limit():
    from core import jobs

    old = jobs.SLOTS.limit
    try:
        job = make_job(SMALL)
        job.start(Runner(ThreadBackend()), limits=Limits(hosted=True, max_epochs=1, max_jobs=3))
        job.join(60)
        assert jobs.SLOTS.limit == 3
    finally:
        jobs.SLOTS.set_limit(old)


def test_a_plain_training_job_without_recipe_is_checked(tmp_path):
    src = make_job(SMALL)
    job = TrainingJob(src.build_model, src.data, TrainConfig(num_epochs=99), meta={"page": "x"})
    with pytest.raises(AssertionError):
        assert job.start(runner(JobSlots(1)), limits=Limits(hosted=True, max_parameters=10))
    assert job.status == "refused"
