import torch
from torch import nn


class ResidualBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(dim, dim), nn.Sigmoid())

    def forward(self, x):
        return x + self.body(x)                      # the skip connection adds the input back


def input_gradient_norm(blocks, dim=16):
    torch.manual_seed(0)
    x = torch.randn(8, dim, requires_grad=True)
    h = x
    for block in blocks:
        h = block(h)
    h.sum().backward()
    return x.grad.norm().item()


torch.manual_seed(0)
plain = [nn.Sequential(nn.Linear(16, 16), nn.Sigmoid()) for _ in range(20)]
residual = [ResidualBlock(16) for _ in range(20)]
g_plain, g_res = input_gradient_norm(plain), input_gradient_norm(residual)
print(f"20 sigmoid layers: input gradient {g_plain:.2e} plain, {g_res:.2e} with skip connections")

bottleneck = nn.Sequential(                          # 1×1 convs shrink, then restore, the channels
    nn.Conv2d(64, 16, 1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 64, 1),
)
full = nn.Conv2d(64, 64, 3, padding=1)
count = lambda m: sum(p.numel() for p in m.parameters())
print(f"bottleneck {count(bottleneck):,} parameters vs one 3×3 conv {count(full):,}")
