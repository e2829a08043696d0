import torch

x = torch.tensor([2.0, 3.0], requires_grad=True)
f = x[0] ** 2 + x[1] ** 3
f.backward()                                   # fills x.grad with ∂f/∂x
print("gradient", x.grad.tolist())             # [2·x₁, 3·x₂²] = [4, 27]

# the product rule, checked by autograd: (u·v)' = u'·v + u·v'
t = torch.tensor(1.0, requires_grad=True)
(torch.sin(t) * t**2).backward()
by_rule = torch.cos(t) * t**2 + torch.sin(t) * 2 * t
print(f"product rule {by_rule.item():.6f}, autograd {t.grad.item():.6f}")

# the chain rule through a sigmoid: d/dw σ(w·z) = σ(w·z)(1 − σ(w·z))·z
w, z = torch.tensor(1.5, requires_grad=True), torch.tensor(0.4)
(dy_dw,) = torch.autograd.grad(torch.sigmoid(w * z), w)
s = torch.sigmoid(w * z).detach()
print(f"chain rule {(s * (1 - s) * z).item():.6f}, autograd {dy_dw.item():.6f}")

# a central finite difference in float64 agrees to about h²
g = lambda u: torch.sin(u) * u**2
u0, h = torch.tensor(1.0, dtype=torch.float64), 1e-5
numeric = (g(u0 + h) - g(u0 - h)) / (2 * h)
print(f"finite difference {numeric.item():.6f}")
