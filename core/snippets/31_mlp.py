import torch
from sklearn.datasets import make_moons
from torch import nn

torch.manual_seed(0)
X_np, y_np = make_moons(n_samples=400, noise=0.15, random_state=0)
X, y = torch.tensor(X_np, dtype=torch.float32), torch.tensor(y_np)

model = nn.Sequential(
    nn.Linear(2, 32), nn.ReLU(),
    nn.Linear(32, 32), nn.ReLU(),
    nn.Linear(32, 2),                    # one logit per class
)
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
loss_fn = nn.CrossEntropyLoss()
for _ in range(200):                     # full batch: 400 points fit in one step
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()

with torch.no_grad():
    accuracy = (model(X).argmax(dim=1) == y).float().mean().item()
n_params = sum(p.numel() for p in model.parameters())
print(f"parameters {n_params}, final loss {loss.item():.3f}, train accuracy {accuracy:.1%}")
