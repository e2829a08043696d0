"""A plausible wrong solution per exercise, as a learner might well write it, and the mistake code the
check must name for it (used by test_exercises.py; one entry per exercise, a test insists)."""

# id → (a wrong solution a learner might well write, the mistake code it must be told about)
WRONG = {
    "1.1-cosine": ("""
        import torch

        def cosine_similarity(a, b):
            return (a * b).sum(dim=-1) / (a.norm(dim=-1) * b.norm(dim=-1))
        """, "no_eps"),
    "1.1-linear": ("""
        def linear(x, W, b):
            return x @ W + b
        """, "no_transpose"),
    "1.2-autograd": ("""
        def gradient(f, x):
            x.requires_grad_(True)
            y = f(x)
            y.backward()
            return x.grad
        """, "stale_grad"),
    "1.2-finite-diff": ("""
        import torch

        def numerical_gradient(f, x, h):
            g = torch.zeros_like(x)
            for i in range(len(x)):
                e = torch.zeros_like(x)
                e[i] = h
                g[i] = (f(x + e) - f(x)) / h
            return g
        """, "forward"),
    "1.3-cross-entropy": ("""
        import torch

        def cross_entropy(logits, target):
            probs = logits.exp() / logits.exp().sum(dim=1, keepdim=True)
            return -probs[torch.arange(len(target)), target].log().mean()
        """, "no_max_shift"),
    "1.3-sample-variance": ("""
        def sample_variance(x):
            return ((x - x.mean(dim=0)) ** 2).mean(dim=0)
        """, "population"),
    "1.4-adam": ("""
        def adam_step(param, grad, m, v, t, lr, beta1, beta2, eps):
            m = beta1 * m + (1 - beta1) * grad
            v = beta2 * v + (1 - beta2) * grad ** 2
            return param - lr * m / (v.sqrt() + eps), m, v
        """, "no_bias_correction"),
    "1.4-momentum": ("""
        import torch

        def sgd_momentum_step(param, grad, buf, lr, momentum):
            if buf is None:
                buf = torch.zeros_like(grad)
            buf = momentum * buf + (1 - momentum) * grad
            return param - lr * buf, buf
        """, "dampening"),
    # --- parts 2-3 (2.1-3.4) ---
    "2.1-one-hot": ("""
        import torch

        def one_hot_features(numeric, category, num_classes):
            n_cols = int(category.max()) + 1
            one_hot = torch.zeros(len(category), n_cols, dtype=numeric.dtype)
            one_hot[torch.arange(len(category)), category] = 1
            return torch.cat([numeric, one_hot], dim=1)
        """, "classes_from_data"),
    "2.1-embed-words": ("""
        import torch

        def embed_words(text, vocab, table):
            ids = [vocab[w] for w in text.lower().split() if w in vocab]
            return table[torch.tensor(ids, dtype=torch.long)]
        """, "skip_unknown"),
    "2.2-bce-logits": ("""
        import torch

        def bce_with_logits(logits, target):
            p = torch.sigmoid(logits)
            return -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean()
        """, "sigmoid_then_log"),
    "2.2-regression-metrics": ("""
        def regression_metrics(y_true, y_pred):
            err = y_pred - y_true
            mse = (err ** 2).mean()
            mae = err.abs().mean()
            r2 = 1 - (err ** 2).sum() / ((y_true - y_true.mean()) ** 2).sum()
            return mse, mae, r2
        """, "r2_pooled"),
    "2.3-standardize": ("""
        def standardize(train, test):
            mean, std = train.mean(dim=0), train.std(dim=0)
            std[std == 0] = 1
            return (train - mean) / std, (test - mean) / std
        """, "sample_std"),
    "2.3-shift": ("""
        import torch

        def shift(images, dx, dy):
            return torch.roll(images, shifts=(dy, dx), dims=(-2, -1))
        """, "wraps"),
    "3.1-mlp-forward": ("""
        import torch

        def mlp_forward(x, weights, biases):
            for W, b in zip(weights, biases):
                x = torch.relu(x @ W.T + b)
            return x
        """, "relu_on_output"),
    "3.1-deep-mlp-eval": ("""
        import torch

        def deep_mlp_eval(x, hidden, head, p):
            h = x
            for W, b, gamma, beta, mean, var in hidden:
                z = h @ W.T + b
                z = (z - z.mean(dim=0)) / torch.sqrt(z.var(dim=0, unbiased=False) + 1e-5) * gamma + beta
                h = torch.relu(z)
            W, b = head
            return h @ W.T + b
        """, "batch_stats"),
    "3.2-conv-shape": ("""
        def conv_output_shape(x, out_channels, kernel, stride, padding, dilation):
            def side(n):
                return (n + padding - dilation * (kernel - 1) - 1) // stride + 1
            return (*x.shape[:-3], out_channels, side(x.shape[-2]), side(x.shape[-1]))
        """, "one_side_padding"),
    "3.2-conv2d": ("""
        import torch.nn.functional as F

        def conv2d(x, weight, bias, stride, padding):
            k = weight.shape[-1]
            cols = F.unfold(x, k, padding=padding, stride=stride)
            h = (x.shape[2] + 2 * padding - k) // stride + 1
            w = (x.shape[3] + 2 * padding - k) // stride + 1
            kernel = weight.flip(-2, -1).reshape(weight.shape[0], -1)  # a convolution flips the kernel
            out = kernel @ cols + bias[:, None]
            return out.view(x.shape[0], -1, h, w)
        """, "flipped_kernel"),
    "3.3-lstm-cell": ("""
        import torch

        def lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
            gates = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
            f, i, o, g = gates.chunk(4, dim=-1)
            f, i, o, g = torch.sigmoid(f), torch.sigmoid(i), torch.sigmoid(o), torch.tanh(g)
            c = f * c + i * g
            return o * torch.tanh(c), c
        """, "gate_order"),
    "3.3-gru-cell": ("""
        import torch

        def gru_cell(x, h, W_ih, W_hh, b_ih, b_hh):
            x_r, x_z, x_n = (x @ W_ih.T + b_ih).chunk(3, dim=-1)
            h_r, h_z, h_n = (h @ W_hh.T + b_hh).chunk(3, dim=-1)
            r = torch.sigmoid(x_r + h_r)
            z = torch.sigmoid(x_z + h_z)
            n = torch.tanh(x_n + r * h_n)
            return (1 - z) * h + z * n
        """, "z_swapped"),
    "3.4-attention": ("""
        import math
        import torch

        def attention(q, k, v, mask):
            scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
            if mask is not None:
                scores = scores.masked_fill(mask == 0, -1e9)
            return torch.softmax(scores, dim=-1) @ v
        """, "large_negative"),
    "3.4-positional": ("""
        import torch

        def add_positional_encoding(x):
            T, d = x.shape[-2:]
            pos = torch.arange(T, dtype=torch.float64)[:, None]
            freq = 10000.0 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
            pe = torch.cat([torch.sin(pos * freq), torch.cos(pos * freq)], dim=1)
            return x + pe.to(x.dtype)
        """, "concatenated"),
    # --- parts 4-5 (4.1-5.4) ---
    "4.1-layer-norm": ("""
        import torch

        def layer_norm(x, weight, bias, eps):
            mean = x.mean(dim=-1, keepdim=True)
            var = x.var(dim=-1, keepdim=True)
            return (x - mean) / torch.sqrt(var + eps) * weight + bias
        """, "sample_variance"),
    "4.1-batch-norm": ("""
        import torch

        def batch_norm_train(x, running_mean, running_var, weight, bias, momentum, eps):
            dims = [0] + list(range(2, x.dim()))
            shape = [1, -1] + [1] * (x.dim() - 2)
            mean = x.mean(dim=dims)
            var = x.var(dim=dims, unbiased=False)
            y = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + eps)
            y = y * weight.view(shape) + bias.view(shape)
            running_mean = (1 - momentum) * running_mean + momentum * mean
            running_var = (1 - momentum) * running_var + momentum * var
            return y, running_mean, running_var
        """, "biased_running_var"),
    "4.2-residual": ("""
        import torch

        def residual_block(x, W1, b1, W2, b2, W_skip):
            out = torch.relu(x @ W1.T + b1)
            out = torch.relu(out @ W2.T + b2)
            if W_skip is not None:
                x = x @ W_skip.T
            return out + x
        """, "relu_before_add"),
    "4.2-squeeze-excite": ("""
        import torch

        def squeeze_excite(x, W1, b1, W2, b2):
            s = x.mean(dim=(2, 3))
            z = torch.relu(s @ W1.T + b1)
            w = torch.softmax(z @ W2.T + b2, dim=1)
            return x * w[:, :, None, None]
        """, "softmax_gate"),
    "4.3-patch-embedding": ("""
        def patch_embedding(images, weight, bias, patch):
            B, C, H, W = images.shape
            x = images.unfold(2, patch, patch).unfold(3, patch, patch)
            x = x.contiguous().view(B, -1, C * patch * patch)
            return x @ weight.T + bias
        """, "view_without_permute"),
    "4.3-gelu": ("""
        import math
        import torch

        def gelu(x, approximate):
            return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
        """, "always_tanh"),
    "5.1-dataset": ("""
        from torch.utils.data import DataLoader, Dataset

        def dataset_batches(data, labels, transform, batch_size):
            class MyData(Dataset):
                def __init__(self):
                    self.x = data if transform is None else transform(data)

                def __len__(self):
                    return len(self.x)

                def __getitem__(self, i):
                    return self.x[i], labels[i]

            return list(DataLoader(MyData(), batch_size=batch_size))
        """, "transform_on_batch"),
    "5.1-robust-scaler": ("""
        import torch

        def robust_scale(X_train, X_val):
            median = X_train.median(dim=0).values
            q1 = torch.quantile(X_train, 0.25, dim=0)
            q3 = torch.quantile(X_train, 0.75, dim=0)
            iqr = torch.where(q3 - q1 == 0, torch.ones_like(q1), q3 - q1)
            return (X_train - median) / iqr, (X_val - median) / iqr
        """, "lower_median"),
    "5.2-train-epoch": ("""
        import torch

        def train_epoch(model, optimizer, loss_fn, X, y, batch_size):
            model.train()
            losses = []
            for i in range(0, len(X), batch_size):
                loss = loss_fn(model(X[i:i + batch_size]), y[i:i + batch_size])
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            return torch.tensor(losses)
        """, "no_zero_grad"),
    "5.2-evaluate": ("""
        import torch

        def evaluate(model, loss_fn, X, y, batch_size):
            total, correct = 0.0, 0
            with torch.no_grad():
                for i in range(0, len(X), batch_size):
                    out = model(X[i:i + batch_size])
                    total += loss_fn(out, y[i:i + batch_size]).item() * len(out)
                    correct += (out.argmax(1) == y[i:i + batch_size]).sum().item()
            return total / len(X), correct / len(X)
        """, "train_mode"),
    "5.3-macro-f1": ("""
        import torch

        def macro_f1(logits, target):
            pred = logits.argmax(dim=1)
            scores = []
            for c in torch.unique(torch.cat([target, pred])):
                tp = ((pred == c) & (target == c)).sum().float()
                precision = tp / (pred == c).sum()
                recall = tp / (target == c).sum()
                scores.append(2 * precision * recall / (precision + recall))
            return torch.stack(scores).mean().item()
        """, "nan_for_empty"),
    "5.3-roc-auc": ("""
        def roc_auc(scores, target):
            pos = scores[target == 1]
            neg = scores[target == 0]
            return (pos[:, None] > neg[None, :]).float().mean().item()
        """, "ties_ignored"),
    "5.4-grad-norms": ("""
        import torch

        def gradient_norms(model, loss_fn, X, y):
            loss_fn(model(X), y).backward()
            return torch.stack([p.grad.norm() if p.grad is not None else torch.tensor(0.0)
                                for p in model.parameters()])
        """, "stale_grad"),
    "5.4-clip-grad-norm": ("""
        import torch

        def clip_grad_norm(model, loss_fn, X, y, max_norm):
            model.zero_grad()
            loss_fn(model(X), y).backward()
            total = torch.sqrt(sum((p.grad ** 2).sum() for p in model.parameters()))
            grads = []
            for p in model.parameters():
                norm = p.grad.norm()
                grads.append(p.grad * max_norm / norm if norm > max_norm else p.grad)
            return total, grads
        """, "per_parameter"),
}
