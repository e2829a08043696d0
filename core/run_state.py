"""A run's status and the one hook protocol of a run (no torch: Home and the Runs page read these)."""
from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Where a run is. A StrEnum, so the run store keeps plain strings and old rows still compare."""

    PENDING = "pending"  # built, not submitted
    QUEUED = "queued"  # submitted, waiting for a free slot
    RUNNING = "running"
    FINISHED = "finished"
    STOPPED = "stopped"  # the learner pressed Stop before the last epoch
    EARLY_STOPPED = "early_stopped"
    DIVERGED = "diverged"
    FAILED = "failed"  # an error, or its worker died (the finished epochs are kept)
    REFUSED = "refused"  # hosted-mode limits forbid these settings, or the learner has a run already
    CANCELLED = "cancelled"  # taken out of the queue before it started

    @property
    def final(self) -> bool:
        return self not in (Status.PENDING, Status.QUEUED, Status.RUNNING)

    @property
    def left_a_model(self) -> bool:
        return self in (Status.FINISHED, Status.EARLY_STOPPED, Status.STOPPED)


FINAL_STATES = tuple(s for s in Status if s.final)
STOP_REASONS = {"diverged": Status.DIVERGED, "early_stopping": Status.EARLY_STOPPED}  # EpochRecord.stop_reason


def final_status(records: list, stop_requested: bool, num_epochs: int) -> Status:
    """How a run that ended without an error ended, from its records."""
    reason = records[-1].stop_reason if records else None
    if reason in STOP_REASONS:
        return STOP_REASONS[reason]
    if stop_requested and len(records) < num_epochs:  # a Stop after the last epoch stops nothing
        return Status.STOPPED
    return Status.FINISHED


class JobCallback:
    """The one hook protocol of a run. Each hook runs where the runner feeds the job (a thread of
    this process); a failing callback is noted in `job.callback_errors` and never breaks training."""

    def on_start(self, job) -> None: ...

    def on_record(self, job, record) -> None: ...

    def on_finish(self, job) -> None: ...
