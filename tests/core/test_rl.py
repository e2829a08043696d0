"""Q-learning on the gridworld, against value iteration."""
import numpy as np
import pytest

from core import rl


def test_q_learning_learns_a_greedy_policy_that_reaches_the_goal():
    env = rl.GridWorld()
    res = rl.q_learning(env, episodes=300, alpha=0.5, gamma=0.95, epsilon=0.1, seed=0)
    path, reached = rl.greedy_path(env, res.Q)
    assert reached and path[0] == env.start and path[-1] == env.goal
    assert not any(cell in env.walls or cell in env.pits for cell in path)
    assert res.episode_rewards[-20:].mean() > res.episode_rewards[:20].mean()


def test_q_learning_is_deterministic_for_a_seed():
    env = rl.GridWorld()
    a = rl.q_learning(env, episodes=50, seed=4)
    b = rl.q_learning(env, episodes=50, seed=4)
    np.testing.assert_array_equal(a.Q, b.Q)


def test_value_iteration_finds_the_shortest_path_and_q_learning_approaches_it():
    env = rl.GridWorld()
    q_star = rl.value_iteration(env, gamma=0.95)
    path, reached = rl.greedy_path(env, q_star)
    assert reached and len(path) - 1 == 9  # shortest route around the walls
    res = rl.q_learning(env, episodes=1000, alpha=0.5, gamma=0.95, epsilon=0.2, seed=0)
    s = env.state(env.start)
    assert res.Q[s].max() == pytest.approx(q_star[s].max(), abs=0.5)


def test_steps_walls_and_terminals():
    env = rl.GridWorld()
    assert env.step((0, 0), 0) == ((0, 0), -1.0, False)  # bump into the top edge
    assert env.step((2, 2), 3)[0] == (2, 2)  # wall at (2, 1)
    assert env.step((0, 4), 1) == ((0, 5), 10.0, True)
    assert env.step((2, 5), 3) == ((2, 4), -10.0, True)


def test_bad_hyperparameters_raise():
    with pytest.raises(ValueError):
        rl.q_learning(rl.GridWorld(), alpha=0)


def test_grid_table_marks_every_cell():
    env = rl.GridWorld()
    rows = rl.grid_table(env, rl.value_iteration(env))
    assert len(rows) == env.n_states
    kinds = [r["kind"] for r in rows]
    assert kinds.count("wall") == len(env.walls) and kinds.count("goal") == 1
    assert all(r["value"] is None for r in rows if r["kind"] != "free")
