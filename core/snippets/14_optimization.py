import torch


def bowl(p, kappa=10.0):
    return 0.5 * (p[0] ** 2 + kappa * p[1] ** 2)


def minimise(make_optimizer, steps=100):
    p = torch.tensor([-4.0, 1.5], requires_grad=True)
    optimizer = make_optimizer([p])
    for _ in range(steps):
        optimizer.zero_grad()
        loss = bowl(p)
        loss.backward()
        optimizer.step()
    return bowl(p).item()


final = {
    "sgd": minimise(lambda ps: torch.optim.SGD(ps, lr=0.1)),
    "momentum": minimise(lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9)),
    "adam": minimise(lambda ps: torch.optim.Adam(ps, lr=0.1)),
    "too_large": minimise(lambda ps: torch.optim.SGD(ps, lr=0.21)),   # above 2/κ = 0.2: diverges
}
for name, loss in final.items():
    print(f"{name:>9}: final loss {loss:.3g}")

optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
lrs = []
for _ in range(10):
    lrs.append(scheduler.get_last_lr()[0])
    optimizer.step()
    scheduler.step()                               # after optimizer.step()
print("cosine schedule", [round(lr, 3) for lr in lrs])
