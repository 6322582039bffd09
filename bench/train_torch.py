"""PyTorch side of bench/train.bench.ts: the same reference network, batch, optimiser and loss.

input 128x128x1 -> 4 x [conv 3x3 'same' + ReLU -> max-pool 2x2] with 16, 32, 64, 64 filters
-> global average pool -> dense 5; Adam (lr 1e-3), mean squared error.

Usage: python bench/train_torch.py '{"batch": 32, "warmupSteps": 3, "steps": 20, "inferIters": 10}'
Prints one JSON line. Data are synthetic and pre-made (no data loading is timed); the layout is
PyTorch's native NCHW.
"""
import json
import os
import sys
import time

import torch
from torch import nn


def reference_model() -> nn.Module:
    layers = []
    cin = 1
    for cout in (16, 32, 64, 64):
        layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, 5)]
    return nn.Sequential(*layers)


def thread_cpu_seconds() -> dict:
    """CPU seconds per thread of this process (Linux /proc; empty elsewhere)."""
    out = {}
    try:
        for t in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{t}/stat") as f:
                st = f.read()
            fields = st[st.rindex(")") + 2:].split(" ")
            out[t] = (int(fields[11]) + int(fields[12])) / 100
    except OSError:
        pass
    return out


def parallelism(before: dict, after: dict):
    d = [v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0) > 0]
    return round(sum(d) / max(d), 2) if d else None


def main() -> None:
    o = json.loads(sys.argv[1] if len(sys.argv) > 1 else "{}")
    batch, warmup, steps = o.get("batch", 32), o.get("warmupSteps", 3), o.get("steps", 20)
    infer_iters, n_data = o.get("inferIters", 10), o.get("distinctBatches", 4)
    if o.get("threads"):
        torch.set_num_threads(int(o["threads"]))
    torch.manual_seed(1)
    g = torch.Generator().manual_seed(1)
    xs = [torch.rand(batch, 1, 128, 128, generator=g) for _ in range(n_data)]
    ys = [torch.randn(batch, 5, generator=g) for _ in range(n_data)]
    model = reference_model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()

    def run(n: int) -> float:
        loss = torch.tensor(float("nan"))
        for s in range(n):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xs[s % n_data]), ys[s % n_data])
            loss.backward()
            opt.step()
        return float(loss.detach())

    run(warmup)
    t = time.perf_counter()
    c = time.process_time()
    th = thread_cpu_seconds()
    last = run(steps)
    par = parallelism(th, thread_cpu_seconds())
    train_s = time.perf_counter() - t
    cpu_s = time.process_time() - c

    model.eval()
    with torch.no_grad():
        model(xs[0])
        t = time.perf_counter()
        for i in range(infer_iters):
            model(xs[i % n_data]).numpy()
        infer_s = time.perf_counter() - t

    print(json.dumps({
        "backend": "pytorch",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "interopThreads": torch.get_num_interop_threads(),
        "batch": batch,
        "steps": steps,
        "warmupSteps": warmup,
        "trainImagesPerSec": round(steps * batch / train_s, 2),
        "secondsPerStep": round(train_s / steps, 4),
        "trainImagesPerCpuSec": round(steps * batch / cpu_s, 2),
        "threadParallelism": par,
        "inferMsPerImage": round(1000 * infer_s / (infer_iters * batch), 3) if infer_iters else None,
        "finalLoss": round(last, 5),
    }))


if __name__ == "__main__":
    main()
