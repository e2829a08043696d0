"""Background jobs: threads, stop, busy slots, and checkpoints that never unpickle code."""
import io
import os
import pickle
from dataclasses import replace

import pytest
import torch

from core.jobs import JobSlots, load_checkpoint
from core.recipes import DIGITS_MLP, make_job

SHORT = replace(DIGITS_MLP, train=replace(DIGITS_MLP.train, num_epochs=3))


def test_job_trains_in_a_thread_and_keeps_every_record():
    job = make_job(SHORT)
    assert job.start(JobSlots(1))
    job.join(120)
    assert job.status == "finished" and [r.epoch for r in job.records] == [1, 2, 3]
    assert job.progress == 1.0 and job.eta_seconds is None


def test_stop_keeps_finished_epochs():
    job = make_job(replace(DIGITS_MLP, train=replace(DIGITS_MLP.train, num_epochs=500)))
    job.on_record = lambda j, r: j.stop() if r.epoch == 2 else None
    job.run()
    assert job.status == "stopped" and len(job.records) == 2


def test_no_free_slot_means_busy():
    slots = JobSlots(1)
    assert slots.try_acquire()
    job = make_job(SHORT)
    assert not job.start(slots) and job.status == "busy" and job.done


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
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(buf.getvalue())
    assert not os.path.exists("/tmp/pwned")


def test_probe_epoch_seconds_times_the_real_model_on_a_slice():
    from core.jobs import probe_epoch_seconds
    from core.recipes import DIGITS_MLP, make_job

    job = make_job(DIGITS_MLP)
    seconds = probe_epoch_seconds(job, batches=2)
    assert seconds > 0 and seconds == seconds  # a positive, finite number (no bound on it: these machines are noisy)
    assert job.status == "pending" and job.model is None and not job.records, "the job itself is untouched"
