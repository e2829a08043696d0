import torch
from torch import nn

torch.manual_seed(0)
x = 3 + 2 * torch.randn(4, 6, 5, 5)                 # (N, C, H, W), mean 3, std 2
norms = {
    "BatchNorm2d": nn.BatchNorm2d(6),                # per channel, across the batch
    "LayerNorm": nn.LayerNorm([6, 5, 5]),            # per sample, across everything
    "GroupNorm": nn.GroupNorm(num_groups=3, num_channels=6),
}
for name, norm in norms.items():
    y = norm(x)
    print(f"{name:>11}: mean {y.mean().item():+.3f}, std {y.std(unbiased=False).item():.3f}")

dropout = nn.Dropout(p=0.5)
ones = torch.ones(10_000)
kept = dropout.train()(ones)                        # train mode: zero half, scale the rest by 1/(1 − p)
print(f"dropout (train): {(kept == 0).float().mean().item():.2f} zeroed, survivors = {kept.max().item():.1f}")
print("dropout (eval) is the identity:", torch.equal(dropout.eval()(ones), ones))

bn = norms["BatchNorm2d"].eval()                    # eval mode: running statistics, not the batch's
print("BatchNorm running mean after one batch:", round(bn.running_mean.mean().item(), 2))

model = nn.Sequential(nn.Linear(64, 32), nn.GELU(), nn.Dropout(0.1), nn.Linear(32, 10))
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)   # decoupled decay
