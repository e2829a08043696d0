import math

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
B, T, d = 2, 5, 8
q, k, v = torch.randn(3, B, T, d).unbind(0)

scores = q @ k.transpose(-2, -1) / math.sqrt(d)                    # (B, T, T)
future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)  # True above the diagonal
weights = scores.masked_fill(future, float("-inf")).softmax(dim=-1)
by_hand = weights @ v                                               # (B, T, d)
fused = F.scaled_dot_product_attention(q, k, v, is_causal=True)
print(f"max |difference| {(by_hand - fused).abs().max().item():.1e}")
print("token 0 attends to", [round(w, 3) for w in weights[0, 0].tolist()])

encoder = nn.TransformerEncoder(
    nn.TransformerEncoderLayer(d_model=d, nhead=2, dim_feedforward=32, batch_first=True),
    num_layers=2, enable_nested_tensor=False,
)
print("encoder output", tuple(encoder(torch.randn(B, T, d)).shape))
