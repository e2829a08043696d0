"""Background jobs: threads, stop, busy slots, and checkpoints that never unpickle code."""
import io
import math
import os
import pickle
from dataclasses import replace

import pytest
import torch

from core.errors import InputError
from core.jobs import JobCallback, JobSlots, Status, load_checkpoint
from core.recipes import DIGITS_MLP, make_job
from core.runner import Runner, ThreadBackend

SHORT = replace(DIGITS_MLP, train=replace(DIGITS_MLP.train, num_epochs=3))


class StopAt(JobCallback):
    """Presses Stop once epoch `epoch` is recorded."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_record(self, job, record):
        if record.epoch == self.epoch:
            job.stop()


def thread_runner(capacity: int = 1, slots: JobSlots | None = None) -> Runner:
    return Runner(ThreadBackend(), capacity=capacity, slots=slots or JobSlots(capacity))


def test_job_trains_in_a_thread_and_keeps_every_record():
    job = make_job(SHORT)
    assert job.start(thread_runner())
    job.join(120)
    assert job.status == "finished" and [r.epoch for r in job.records] == [1, 2, 3]
    assert job.progress == 1.0 and job.eta_seconds is None


def test_stop_keeps_finished_epochs():
    job = make_job(replace(DIGITS_MLP, train=replace(DIGITS_MLP.train, num_epochs=500)))
    job.add_callback(StopAt(2))
    job.run()
    assert job.status == "stopped" and len(job.records) == 2


def test_a_stop_pressed_after_the_last_epoch_still_finishes():
    job = make_job(SHORT)
    job.add_callback(StopAt(3))  # Stop lands once epoch 3 of 3 is done
    job.run()
    assert job.status == "finished" and len(job.records) == 3


def test_a_stop_before_the_last_epoch_stops():
    job = make_job(SHORT)
    job.add_callback(StopAt(2))
    job.run()
    assert job.status == "stopped" and len(job.records) == 2


def test_no_free_slot_means_the_job_waits_in_the_queue_until_one_frees():
    slots = JobSlots(1)
    assert slots.try_acquire()  # the exercise checker holds the only slot
    runner = thread_runner(slots=slots)
    job = make_job(SHORT)
    assert job.start(runner) and job.status == Status.QUEUED and not job.done
    assert runner.position(job) == 1 and runner.queued == 1
    assert not job.join(0.5) and not job.records, "it waits while the slot is held"
    slots.release()
    assert job.join(120) and job.status == Status.FINISHED and len(job.records) == 3
    assert runner.position(job) is None and slots.free == 1


def test_checkpoint_round_trip_with_weights_only():
    job = make_job(SHORT).run()
    ckpt = load_checkpoint(job.checkpoint_bytes())
    assert set(ckpt) == {"state_dict", "best_epoch", "meta"}
    model = job.build_model()
    model.load_state_dict(ckpt["state_dict"])
    assert ckpt["best_epoch"] in (1, 2, 3) and ckpt["meta"]["dataset"] == "digits"


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/pwned",))


def test_a_checkpoint_that_holds_code_is_refused(tmp_path):
    buf = io.BytesIO()
    torch.save({"state_dict": {}, "payload": Evil()}, buf)
    with pytest.raises(InputError) as refused:
        load_checkpoint(buf.getvalue())
    assert refused.value.code == "ckpt_code" and isinstance(refused.value.__cause__, pickle.UnpicklingError)
    assert "posix.system" in refused.value.params["detail"], "the detail names what was refused"
    assert "weights_only` set to `False`" not in str(refused.value), "never advise loading unsafely"
    assert not os.path.exists("/tmp/pwned")


def saved(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


W = torch.zeros(2, 3)
BAD_SHAPES = {
    "int_in_state_dict": ({"state_dict": {"w": W, "n": 3}, "best_epoch": 1}, "ckpt_not_tensor"),
    "list_in_state_dict": ({"state_dict": {"w": W, "l": [1, 2]}}, "ckpt_not_tensor"),
    "nested_dict": ({"state_dict": {"block": {"w": W}}}, "ckpt_not_tensor"),
    "int_key": ({"state_dict": {0: W}}, "ckpt_not_tensor"),
    "a_list": ([W, W], "ckpt_not_dict"),
    "a_bare_tensor": (W, "ckpt_not_dict"),
    "no_state_dict": ({"weights": {"w": W}}, "ckpt_no_state_dict"),
    "state_dict_a_list": ({"state_dict": [W]}, "ckpt_no_state_dict"),
    "best_epoch_text": ({"state_dict": {"w": W}, "best_epoch": "3"}, "ckpt_best_epoch"),
    "best_epoch_float": ({"state_dict": {"w": W}, "best_epoch": 2.5}, "ckpt_best_epoch"),
    "meta_a_list": ({"state_dict": {"w": W}, "meta": ["x"]}, "ckpt_meta"),
}


@pytest.mark.parametrize("case", sorted(BAD_SHAPES))
def test_a_checkpoint_of_the_wrong_shape_is_refused_in_each_language(case):
    from app.i18n import explain

    obj, code = BAD_SHAPES[case]
    with pytest.raises(InputError) as refused:
        load_checkpoint(saved(obj))
    assert refused.value.code == code
    en, ru = explain(refused.value, lang="en"), explain(refused.value, lang="ru")
    assert en != str(refused.value) and ru != en and "{" not in en + ru, "both languages have their own message"


def test_a_file_that_is_not_a_checkpoint_is_refused():
    for raw in (b"", b"not a torch file", saved({"state_dict": {"w": W}})[:100]):
        with pytest.raises(InputError) as refused:
            load_checkpoint(raw)
        assert refused.value.code in ("ckpt_unreadable", "ckpt_code"), raw


def test_a_checkpoint_of_the_right_shape_loads():
    ckpt = load_checkpoint(saved({"state_dict": {"w": W}, "best_epoch": 4, "meta": {"dataset": "iris"}, "extra": 1}))
    assert torch.equal(ckpt["state_dict"]["w"], W) and ckpt["best_epoch"] == 4
    assert load_checkpoint(saved({"state_dict": {}, "best_epoch": None}))["state_dict"] == {}, "a diverged run saves no weights"


def test_probe_epoch_seconds_times_the_real_model_on_a_slice():
    from core.jobs import probe_epoch_seconds
    from core.recipes import DIGITS_MLP, make_job

    job = make_job(DIGITS_MLP)
    seconds = probe_epoch_seconds(job, batches=2)
    assert math.isfinite(seconds) and seconds > 0  # no upper bound: these machines are noisy
    assert job.status == "pending" and job.model is None and not job.records, "the job itself is untouched"
