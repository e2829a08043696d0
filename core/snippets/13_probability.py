import torch
import torch.nn.functional as F
from torch.distributions import Normal

torch.manual_seed(0)
dist = Normal(loc=2.0, scale=3.0)
x = dist.sample((100_000,))
print(f"sample mean {x.mean():.2f} (E[X] = {dist.mean.item():.1f}), "
      f"sample variance {x.var():.2f} (Var X = {dist.variance.item():.1f})")

means = dist.sample((2000, 100)).mean(dim=1)       # 2000 sample means, each of n = 100 draws
print(f"spread of the mean {means.std():.3f}, σ/√n = {3.0 / 100 ** 0.5:.3f}")

logits = torch.tensor([[2.0, 1.0, 0.1]])
target = torch.tensor([0])
loss = F.cross_entropy(logits, target)              # takes raw logits, applies log-softmax itself
print(f"cross-entropy {loss.item():.4f}, -log softmax {-F.log_softmax(logits, dim=1)[0, 0].item():.4f}")

p = torch.tensor([0.7, 0.2, 0.1])
q = torch.tensor([0.4, 0.4, 0.2])
kl_pq = F.kl_div(q.log(), p, reduction="sum")      # KL(p‖q): the input is log q, the target is p
kl_qp = F.kl_div(p.log(), q, reduction="sum")
print(f"KL(p||q) {kl_pq.item():.4f}, KL(q||p) {kl_qp.item():.4f}")
