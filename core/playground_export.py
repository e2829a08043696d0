"""Export a configured playground network as a short stand-alone PyTorch script."""
from __future__ import annotations

from core.models import ACTIVATIONS
from core.playground import PlaygroundConfig
from core.trainer import TrainConfig

_DATA_SNIPPETS = {
    "moons": "from sklearn.datasets import make_moons\nX, y = make_moons({n}, noise={noise}, random_state=0)",
    "circles": "from sklearn.datasets import make_circles\nX, y = make_circles({n}, noise={noise}, factor=0.5, random_state=0)",
    "gaussians": ("from sklearn.datasets import make_blobs\n"
                  "angles = np.linspace(0, 2 * np.pi, {k}, endpoint=False)\n"
                  "centers = 2 * np.stack([np.cos(angles), np.sin(angles)], axis=1)\n"
                  "X, y = make_blobs({n}, centers=centers, cluster_std={std}, random_state=0)"),
    "spiral": ("rng = np.random.default_rng(0)\n"
               "r = np.tile(np.linspace(0.05, 1, {n} // {k}), {k})\n"
               "y = np.repeat(np.arange({k}), {n} // {k})\n"
               "theta = r * 3.5 * np.pi + 2 * np.pi * y / {k}\n"
               "X = 2 * np.stack([r * np.sin(theta), r * np.cos(theta)], 1) + rng.normal(0, {s}, (len(y), 2))"),
    "xor": ("rng = np.random.default_rng(0)\nX = rng.uniform(-1, 1, ({n}, 2))\n"
            "y = (X[:, 0] * X[:, 1] > 0).astype(int)\nX = 2 * (X + rng.normal(0, {s}, X.shape))"),
}

_CSV_SNIPPET = ("import pandas as pd\ndf = pd.read_csv('my_points.csv')  # two feature columns, then the label\n"
                "X, y = df.iloc[:, :2].to_numpy(np.float32), pd.factorize(df.iloc[:, -1])[0]")

_FEATURE_CODE = {"x1": "x1", "x2": "x2", "x1_sq": "x1 * x1", "x2_sq": "x2 * x2", "x1x2": "x1 * x2",
                 "sin_x1": "torch.sin(x1)", "sin_x2": "torch.sin(x2)"}


def export_script(cfg: PlaygroundConfig, train: TrainConfig, n_classes: int) -> str:
    """A short stand-alone script that builds and trains the configured network."""
    n_out = 1 if n_classes == 2 else n_classes
    act = ACTIVATIONS[cfg.activation].__name__
    layer_lines, width = [], len(cfg.features)
    for h in cfg.hidden:
        parts = [f"nn.Linear({width}, {h})"] + ([f"nn.BatchNorm1d({h})"] if cfg.batch_norm else []) + [f"nn.{act}()"]
        parts += [f"nn.Dropout({cfg.dropout:g})"] if cfg.dropout > 0 else []
        skip = cfg.residual and width == h
        layer_lines.append(f"    Block(nn.Sequential({', '.join(parts)}), skip={skip}),")
        width = h
    data = _DATA_SNIPPETS.get(cfg.dataset, _CSV_SNIPPET).format(
        n=cfg.n_samples, noise=cfg.noise, k=cfg.n_classes, std=round(0.4 + 3 * cfg.noise, 3), s=round(cfg.noise * 0.25, 4))
    opt = {"sgd": "SGD(model.parameters(), lr={lr}, weight_decay={wd})",
           "momentum": "SGD(model.parameters(), lr={lr}, momentum=0.9, weight_decay={wd})",
           "adam": "Adam(model.parameters(), lr={lr}, weight_decay={wd})",
           "adamw": "AdamW(model.parameters(), lr={lr}, weight_decay={wd})",
           "rmsprop": "RMSprop(model.parameters(), lr={lr}, weight_decay={wd})"}[train.optimizer]
    loss = ("nn.functional.binary_cross_entropy_with_logits(model(xb)[:, 0], yb.float())" if n_out == 1
            else "nn.functional.cross_entropy(model(xb), yb)")
    pred = "(model(X_te)[:, 0] > 0).long()" if n_out == 1 else "model(X_te).argmax(1)"
    feats = ", ".join(_FEATURE_CODE[f] for f in cfg.features)
    return f'''import numpy as np
import torch
from torch import nn
from sklearn.model_selection import train_test_split

{data}
X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size={cfg.test_ratio:g}, stratify=y, random_state=0)
X_tr, X_te = torch.tensor(X_tr, dtype=torch.float32), torch.tensor(X_te, dtype=torch.float32)
y_tr, y_te = torch.tensor(y_tr), torch.tensor(y_te)


def features(X):  # (N, 2) -> (N, {len(cfg.features)})
    x1, x2 = X[:, 0], X[:, 1]
    return torch.stack([{feats}], dim=1)


class Block(nn.Module):
    def __init__(self, body, skip):
        super().__init__()
        self.body, self.skip = body, skip

    def forward(self, h):
        return h + self.body(h) if self.skip else self.body(h)


mean, std = features(X_tr).mean(0), features(X_tr).std(0) + 1e-6
torch.manual_seed(0)
model = nn.Sequential(
{chr(10).join(layer_lines)}
    nn.Linear({width}, {n_out}),
)
optimizer = torch.optim.{opt.format(lr=f"{train.lr:g}", wd=f"{train.weight_decay:g}")}
for epoch in range({train.num_epochs}):
    model.train()
    for idx in torch.randperm(len(y_tr)).split({train.batch_size}):
        if len(idx) < 2:
            continue
        xb, yb = (features(X_tr[idx]) - mean) / std, y_tr[idx]
        loss = {loss}
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
model.eval()
with torch.no_grad():
    X_te = (features(X_te) - mean) / std
    print("test accuracy", ({pred} == y_te).float().mean().item())
'''
