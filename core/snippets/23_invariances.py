import torch
from torch import nn

torch.manual_seed(0)
conv = nn.Conv2d(1, 4, kernel_size=3, padding=1, padding_mode="circular")
x = torch.randn(1, 1, 8, 8)


def shift(t):
    return torch.roll(t, shifts=(2, 3), dims=(2, 3))   # move the image 2 down and 3 right, wrapping


def pool(t):
    return t.mean(dim=(2, 3))                          # global average pooling


equivariant = torch.allclose(conv(shift(x)), shift(conv(x)), atol=1e-6)        # conv ∘ shift = shift ∘ conv
invariant = torch.allclose(pool(conv(shift(x))), pool(conv(x)), atol=1e-6)     # pooling forgets where
print("convolution equivariant:", equivariant, "| pooled features invariant:", invariant)

dense = nn.Linear(64, 4)
dense_invariant = torch.allclose(dense(shift(x).flatten(1)), dense(x.flatten(1)), atol=1e-6)
print("dense layer invariant:", dense_invariant)

flipped = torch.flip(x, dims=[3])     # augmentation (a horizontal flip) teaches an invariance instead
print("flip twice is the identity:", torch.equal(torch.flip(flipped, dims=[3]), x))
