"""Reinforcement learning: tabular Q-learning on a small gridworld, and value iteration as the exact answer."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ACTIONS = ((-1, 0), (0, 1), (1, 0), (0, -1))  # up, right, down, left as (d_row, d_col)
ARROWS = ("↑", "→", "↓", "←")


@dataclass(frozen=True)
class GridWorld:
    """A grid; moving into a wall or off the edge leaves the agent in place.

    Every step costs `step_reward`; the goal pays `goal_reward` and the pit `pit_reward`, and both
    end the episode. Episodes are cut after `max_steps`.
    """

    rows: int = 5
    cols: int = 6
    start: tuple[int, int] = (4, 0)
    goal: tuple[int, int] = (0, 5)
    walls: tuple[tuple[int, int], ...] = ((1, 1), (2, 1), (3, 3), (1, 3), (1, 4))
    pits: tuple[tuple[int, int], ...] = ((2, 4),)
    step_reward: float = -1.0
    goal_reward: float = 10.0
    pit_reward: float = -10.0
    max_steps: int = 100

    @property
    def n_states(self) -> int:
        return self.rows * self.cols

    def state(self, cell: tuple[int, int]) -> int:
        return cell[0] * self.cols + cell[1]

    def cell(self, state: int) -> tuple[int, int]:
        return divmod(state, self.cols)

    def terminal(self, cell: tuple[int, int]) -> bool:
        return cell == self.goal or cell in self.pits

    def step(self, cell: tuple[int, int], action: int) -> tuple[tuple[int, int], float, bool]:
        """(next cell, reward, episode over)."""
        r, c = cell[0] + ACTIONS[action][0], cell[1] + ACTIONS[action][1]
        nxt = (r, c) if 0 <= r < self.rows and 0 <= c < self.cols and (r, c) not in self.walls else cell
        if nxt == self.goal:
            return nxt, self.goal_reward, True
        if nxt in self.pits:
            return nxt, self.pit_reward, True
        return nxt, self.step_reward, False


@dataclass(frozen=True)
class QResult:
    Q: np.ndarray  # (n_states, 4)
    episode_rewards: np.ndarray  # (episodes,)
    episode_steps: np.ndarray  # (episodes,)


def q_learning(env: GridWorld, episodes: int = 300, alpha: float = 0.5, gamma: float = 0.95,
               epsilon: float = 0.1, seed: int = 0) -> QResult:
    """Q(s,a) ← Q(s,a) + α [r + γ max_a' Q(s',a') − Q(s,a)], acting ε-greedily; ties broken at random."""
    if not (0 < alpha <= 1 and 0 <= gamma <= 1 and 0 <= epsilon <= 1 and episodes >= 1):
        raise ValueError("need 0 < α ≤ 1, 0 ≤ γ ≤ 1, 0 ≤ ε ≤ 1 and at least one episode")
    rng = np.random.default_rng(seed)
    Q = np.zeros((env.n_states, len(ACTIONS)))
    rewards, steps = np.zeros(episodes), np.zeros(episodes, dtype=int)
    for ep in range(episodes):
        cell, total, n_steps = env.start, 0.0, 0
        while n_steps < env.max_steps:
            n_steps += 1
            s = env.state(cell)
            if rng.random() < epsilon:
                a = int(rng.integers(len(ACTIONS)))
            else:
                best = np.flatnonzero(Q[s] == Q[s].max())
                a = int(rng.choice(best))
            nxt, r, done = env.step(cell, a)
            target = r if done else r + gamma * Q[env.state(nxt)].max()
            Q[s, a] += alpha * (target - Q[s, a])
            total += r
            cell = nxt
            if done:
                break
        rewards[ep], steps[ep] = total, n_steps
    return QResult(Q, rewards, steps)


def value_iteration(env: GridWorld, gamma: float = 0.95, tol: float = 1e-10) -> np.ndarray:
    """The optimal Q* of the (deterministic) gridworld by repeated Bellman backups: (n_states, 4)."""
    Q = np.zeros((env.n_states, len(ACTIONS)))
    for _ in range(10_000):
        new = np.zeros_like(Q)
        for s in range(env.n_states):
            cell = env.cell(s)
            if cell in env.walls or env.terminal(cell):
                continue
            for a in range(len(ACTIONS)):
                nxt, r, done = env.step(cell, a)
                new[s, a] = r if done else r + gamma * Q[env.state(nxt)].max()
        if np.abs(new - Q).max() < tol:
            return new
        Q = new
    return Q


def greedy_path(env: GridWorld, Q: np.ndarray) -> tuple[list[tuple[int, int]], bool]:
    """Follow argmax Q from the start; returns the visited cells and whether the goal was reached."""
    cell, path = env.start, [env.start]
    for _ in range(env.max_steps):
        cell, _, done = env.step(cell, int(Q[env.state(cell)].argmax()))
        path.append(cell)
        if done:
            return path, cell == env.goal
    return path, False


def grid_table(env: GridWorld, Q: np.ndarray) -> list[dict]:
    """One row per cell: its kind, V = max_a Q and the greedy arrow, for drawing."""
    rows = []
    for s in range(env.n_states):
        cell = env.cell(s)
        if cell in env.walls:
            kind, label = "wall", "■"
        elif cell == env.goal:
            kind, label = "goal", "★"
        elif cell in env.pits:
            kind, label = "pit", "✖"
        else:
            kind, label = "free", ARROWS[int(Q[s].argmax())] if Q[s].any() else "·"
        if cell == env.start:
            label = "S" + label
        value = float(Q[s].max()) if kind == "free" else None
        rows.append({"row": cell[0], "col": cell[1], "kind": kind, "label": label, "value": value})
    return rows
