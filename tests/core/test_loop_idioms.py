"""5.2: what zero_grad, train/eval, no_grad, the scheduler's place and a state_dict round trip do, measured."""
from core.loop_idioms import no_grad_graph, scheduler_order, stale_gradients, state_dict_round_trip, train_vs_eval


def test_gradients_accumulate_until_zeroed():
    assert stale_gradients() == {"once": 6.0, "twice_without_zero_grad": 12.0, "after_zero_grad": 6.0}


def test_train_mode_is_random_and_eval_mode_is_deterministic_and_batch_independent():
    modes = train_vs_eval()
    assert modes["train_two_passes"] > 1e-3 and modes["eval_two_passes"] == 0.0
    assert modes["eval_alone_vs_in_batch"] < 1e-6


def test_no_grad_records_no_graph():
    assert no_grad_graph() == {"tracked_requires_grad": True, "no_grad_requires_grad": False, "no_grad_has_graph": False}


def test_scheduler_stepped_before_the_optimizer_skips_the_initial_lr():
    order = scheduler_order(epochs=3, lr=0.1, gamma=0.5)
    assert order["after"] == [0.1, 0.05, 0.025] and order["before"] == [0.05, 0.025, 0.0125]


def test_state_dict_round_trip_restores_weights_and_buffers():
    saved = state_dict_round_trip()
    assert "1.running_mean" in saved["keys"] and saved["diff_before_load"] > 1e-3 and saved["diff_after_load"] == 0.0
