import io

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
X = torch.randn(512, 10)
y = (X[:, 0] + X[:, 1] > 0).long()
train_loader = DataLoader(TensorDataset(X[:400], y[:400]), batch_size=32, shuffle=True)
val_loader = DataLoader(TensorDataset(X[400:], y[400:]), batch_size=128)
make_model = lambda: nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 2))
model = make_model()
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)

for _ in range(10):
    model.train()                                   # dropout on
    for xb, yb in train_loader:
        optimizer.zero_grad()                       # otherwise .grad adds up across batches
        nn.functional.cross_entropy(model(xb), yb).backward()
        optimizer.step()
    scheduler.step()                                # once per epoch, after the optimizer's steps
    model.eval()                                    # dropout off
    with torch.no_grad():                           # no graph: less memory, faster
        correct = sum((model(xb).argmax(1) == yb).sum().item() for xb, yb in val_loader)
print(f"val accuracy {correct / 112:.1%}, lr now {scheduler.get_last_lr()[0]:.2e}")

buffer = io.BytesIO()                               # a file path works the same way
torch.save(model.state_dict(), buffer)
buffer.seek(0)
restored = make_model()
restored.load_state_dict(torch.load(buffer))
restored.eval()
print("restored model agrees:", torch.equal(restored(X[400:]), model(X[400:])))
