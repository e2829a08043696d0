import torch
from torch import nn

torch.manual_seed(0)
B, C, H, W, P, D = 2, 3, 32, 32, 8, 64
images = torch.randn(B, C, H, W)
to_patches = nn.Conv2d(C, D, kernel_size=P, stride=P)        # one linear map applied to every 8×8 patch
tokens = to_patches(images).flatten(2).transpose(1, 2)        # (B, 16, 64): 16 patches, a D-vector each

first_patch = images[0, :, :P, :P].flatten()                 # the same map, written as a matrix product
manual = to_patches.weight.flatten(1) @ first_patch + to_patches.bias
print("patch embedding by hand matches:", torch.allclose(manual, tokens[0, 0], atol=1e-5))

cls_token = nn.Parameter(torch.zeros(1, 1, D))
positions = nn.Parameter(torch.zeros(1, 1 + tokens.shape[1], D))
x = torch.cat([cls_token.expand(B, -1, -1), tokens], dim=1) + positions   # (B, 17, 64)
encoder = nn.TransformerEncoder(
    nn.TransformerEncoderLayer(D, nhead=4, dim_feedforward=128, activation="gelu", batch_first=True, norm_first=True),
    num_layers=2, enable_nested_tensor=False,
)
logits = nn.Linear(D, 10)(encoder(x)[:, 0])                   # classify from the class token
print("tokens", tuple(tokens.shape), "sequence", tuple(x.shape), "logits", tuple(logits.shape))
