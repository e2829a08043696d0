import torch
from torch import nn

torch.manual_seed(0)
features = torch.randn(8, 16)                  # what the body of a network made of 8 samples

classifier = nn.Linear(16, 3)                  # 3 classes: raw logits, no softmax in the model
labels = torch.randint(0, 3, (8,))
ce = nn.CrossEntropyLoss()(classifier(features), labels)
probs = classifier(features).softmax(dim=1)    # only when you need probabilities

regressor = nn.Linear(16, 1)                   # one real number, no activation
targets = torch.randn(8)
mse = nn.MSELoss()(regressor(features).squeeze(1), targets)

binary = nn.Linear(16, 1)                      # yes / no: one logit
y = torch.randint(0, 2, (8,)).float()
bce = nn.BCEWithLogitsLoss()(binary(features).squeeze(1), y)
print(f"CE {ce.item():.3f}, MSE {mse.item():.3f}, BCE {bce.item():.3f}, probabilities sum to {probs.sum(1)[0]:.1f}")

# why the loss should get logits: σ(40) rounds to exactly 1.0 in float32
logit, label = torch.tensor([40.0]), torch.tensor([0.0])
print("Sigmoid + BCELoss:", nn.BCELoss()(torch.sigmoid(logit), label).item())   # log(0) clamped to -100
print("BCEWithLogitsLoss:", nn.BCEWithLogitsLoss()(logit, label).item())      # exact: log(1 + e⁴⁰) ≈ 40
