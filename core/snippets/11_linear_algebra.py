import torch
from torch import nn

a = torch.tensor([3.0, 4.0])
b = torch.tensor([4.0, 3.0])
dot = a @ b                                   # 3·4 + 4·3 = 24
cosine = dot / (a.norm() * b.norm())          # 24 / (5·5)
print(f"dot {dot.item():.1f}, |a| {a.norm().item():.1f}, cosine {cosine.item():.2f}")

torch.manual_seed(0)
layer = nn.Linear(in_features=3, out_features=2)   # holds W (2, 3) and b (2,)
x = torch.randn(5, 3)                               # a batch of 5 row vectors
y = layer(x)                                        # y = x Wᵀ + b, shape (5, 2)
assert torch.allclose(y, x @ layer.weight.T + layer.bias)
print("W", tuple(layer.weight.shape), "x", tuple(x.shape), "y", tuple(y.shape))

A = torch.tensor([[2.0, 1.0], [1.0, 2.0]])
eigenvalues, eigenvectors = torch.linalg.eigh(A)    # symmetric: real eigenvalues, ascending
print("eigenvalues", eigenvalues.tolist(), "det", round(torch.linalg.det(A).item(), 4))
