import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 5))
xb, yb = torch.randn(16, 20), torch.randint(0, 5, (16,))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for _ in range(150):                                       # a sound model and loop memorise one batch
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(xb), yb)
    loss.backward()
    total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)   # the norm before clipping
    optimizer.step()
print(f"loss on the one batch after 150 steps: {loss.item():.4f}")

optimizer.zero_grad()
nn.functional.cross_entropy(model(torch.randn(16, 20) * 50), yb).backward()   # a batch with huge inputs
for name, p in model.named_parameters():                  # per-layer gradient norms: look here first
    print(f"{name:>8}: gradient norm {p.grad.norm().item():.2e}")
before = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
after = torch.sqrt(sum(p.grad.norm() ** 2 for p in model.parameters()))
print(f"total gradient norm {before.item():.1f} -> {after.item():.3f} after clipping")
