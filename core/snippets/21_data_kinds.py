import torch
from sklearn.datasets import load_digits
from torch import nn

digits = load_digits()
X = torch.tensor(digits.data, dtype=torch.float32)   # (1797, 64): a table, one row per image
images = X.view(-1, 1, 8, 8) / 16.0                  # (N, C, H, W) with pixels scaled to [0, 1]
print("table", tuple(X.shape), "images", tuple(images.shape))

torch.manual_seed(0)
rgb = torch.rand(3, 4, 4)                            # channels first, as torch expects
gray = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
print("rgb", tuple(rgb.shape), "gray", tuple(gray.shape))

words = "the cat sat on the mat".split()
vocab = {w: i for i, w in enumerate(sorted(set(words)))}
ids = torch.tensor([vocab[w] for w in words])
one_hot = nn.functional.one_hot(ids, num_classes=len(vocab)).float()   # (6, 5), mostly zeros
embed = nn.Embedding(num_embeddings=len(vocab), embedding_dim=3)      # a learned lookup table
vectors = embed(ids)                                                  # (6, 3)
assert torch.allclose(vectors, one_hot @ embed.weight)               # = one-hot times a matrix
print("ids", ids.tolist(), "one-hot", tuple(one_hot.shape), "embedded", tuple(vectors.shape))
