import torch
from torch import nn


class Forecaster(nn.Module):
    def __init__(self, hidden=16):
        super().__init__()
        self.lstm = nn.LSTM(input_size=1, hidden_size=hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)              # y = W_hy·h_T + b

    def forward(self, x):                             # x: (B, T, 1)
        out, (h_n, c_n) = self.lstm(x)                # out: (B, T, H), h_n: (layers, B, H)
        return self.head(out[:, -1]).squeeze(1)       # predict from the last step's hidden state


torch.manual_seed(0)
series = torch.sin(torch.linspace(0, 20, 220))
windows = series.unfold(0, 21, 1)                     # (200, 21) sliding windows
X, y = windows[:, :20].unsqueeze(-1), windows[:, 20]  # 20 steps in, the next value out
model = Forecaster()
optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
for _ in range(60):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(X), y)
    loss.backward()
    optimizer.step()
print(f"LSTM output {tuple(model.lstm(X)[0].shape)}, MSE {loss.item():.4f}, target variance {y.var().item():.3f}")
