import torch
from sklearn.datasets import load_diabetes
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, Dataset


class TableDataset(Dataset):
    def __init__(self, X, y):
        self.X = torch.as_tensor(X, dtype=torch.float32)
        self.y = torch.as_tensor(y, dtype=torch.float32)

    def __len__(self):                       # how many samples
        return len(self.y)

    def __getitem__(self, i):                # one sample; the DataLoader stacks them into a batch
        return self.X[i], self.y[i]


X, y = load_diabetes(return_X_y=True)
g = torch.Generator().manual_seed(0)
order = torch.randperm(len(y), generator=g).numpy()
train_idx, val_idx = order[:350], order[350:]
scaler = StandardScaler().fit(X[train_idx])                 # statistics from the training rows only
train = TableDataset(scaler.transform(X[train_idx]), y[train_idx])
val = TableDataset(scaler.transform(X[val_idx]), y[val_idx])

loader = DataLoader(train, batch_size=64, shuffle=True, drop_last=True, num_workers=0, generator=g)
xb, yb = next(iter(loader))
print(f"train {len(train)}, val {len(val)}, batches per epoch {len(loader)}, batch {tuple(xb.shape)} {tuple(yb.shape)}")
print(f"train feature means ≈ {train.X.mean(0).abs().max().item():.1e}, val means up to {val.X.mean(0).abs().max().item():.2f}")
