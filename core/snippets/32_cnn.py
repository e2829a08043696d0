import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(
    nn.Conv2d(1, 8, kernel_size=3, padding=1),    # (N, 8, 28, 28)
    nn.ReLU(),
    nn.MaxPool2d(2),                              # (N, 8, 14, 14)
    nn.Conv2d(8, 16, kernel_size=3, padding=1),   # (N, 16, 14, 14)
    nn.ReLU(),
    nn.MaxPool2d(2),                              # (N, 16, 7, 7)
    nn.Flatten(),                                 # (N, 784)
    nn.Linear(16 * 7 * 7, 10),                    # 10 class logits
)
x = torch.randn(4, 1, 28, 28)
h = x
for layer in model:
    h = layer(h)
    print(f"{type(layer).__name__:>9} -> {tuple(h.shape)}")


def out_size(n, kernel, stride=1, padding=0, dilation=1):
    """The same formula for nn.Conv2d and nn.MaxPool2d (floor; ceil_mode rounds up)."""
    return (n + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


print("28 -> Conv2d(k=5, stride=2):", out_size(28, 5, stride=2), "formula,",
      nn.Conv2d(1, 1, 5, stride=2)(x).shape[-1], "torch")
