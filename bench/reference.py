#!/usr/bin/env python3
"""The same training step as bench.cxx's, with the plain-PyTorch reference model
share/python/meshgraphnet.py (class MeshGraphNet), on the graph, training pair and weights that
bench.cxx wrote with -bench_export PREFIX. Prints one JSON line "BENCH_JSON {...}".

  reference.py train PREFIX --threads T [--warmup 2] [--reps 10] [--lr 1e-4] [--json FILE] [--profile]
                   [--device cuda]   (on a GPU: the step ends with torch.cuda.synchronize(); peak
                                      device memory from torch.cuda.max_memory_allocated)
                   [--infer N]       then N timed forward passes without autograd (inference,
                                      as bench's -bench_infer times GNNApply), after one untimed
  reference.py peak --threads T [--n 4096]        large fp32 torch.mm (GFLOP/s)

Step = zero_grad, forward, MSE loss (the mean over nodes and output features, as
GNNComputeLossGradient without normalisation), backward, Adam step (constant learning rate).
The first --warmup steps are not timed (the first two are slower: allocator, autograd graph and
Adam state set up; make bench gives petscgnn the same number of warm-up steps); "step_times" are the
--reps timed steps, "step_min"/"step_median" their minimum and median.
Memory: VmRSS at start (after import torch), before the first step, and the high-water mark of the
steps (reset with /proc/self/clear_refs just before the first step, so reading the files does not
count), in kB.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "share", "python"))
from meshgraphnet import MeshGraphNet, edge_features, load_state, load_weights  # noqa: E402


def proc_status(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


def reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def livepeak():
    """bench/livepeak.c's functions when it is preloaded (LD_PRELOAD), else None"""
    import ctypes
    try:
        lib = ctypes.CDLL(None)
        reset, get = lib.gnn_livepeak_reset, lib.gnn_livepeak_get
    except (OSError, AttributeError):
        return None
    get.restype = ctypes.c_long
    return reset, get


def emit(result: dict, path: str = None):
    s = json.dumps(result)
    print("BENCH_JSON " + s, flush=True)
    if path:
        with open(path, "w") as f:
            f.write(s + "\n")


def cmd_train(a):
    rss_start = proc_status("VmRSS")
    torch.set_num_threads(a.threads)
    ei = torch.from_numpy(np.fromfile(a.prefix + ".edges.i64", dtype=np.int64).reshape(2, -1).copy())
    pos = torch.from_numpy(np.fromfile(a.prefix + ".pos.f64", dtype=np.float64))
    n = int(ei[1].max().item()) + 1 if ei.numel() else 0
    dim = pos.numel() // n
    pos = pos.reshape(n, dim)
    x = torch.from_numpy(np.fromfile(a.prefix + ".x.f64", dtype=np.float64).reshape(n, -1))
    y = torch.from_numpy(np.fromfile(a.prefix + ".y.f64", dtype=np.float64).reshape(n, -1))
    state = load_state(a.prefix + ".weights.pt")
    model = MeshGraphNet.from_state_dict(state, dtype=torch.float32)
    load_weights(model, state)
    del state
    dev = torch.device(a.device)
    gpu = dev.type == "cuda"
    model = model.to(dev)
    nparams = sum(p.numel() for p in model.parameters())
    # edge inputs computed once, in float64 from the coordinates, as petscgnn does at set-up
    edge_attr = edge_features(pos, ei).to(dev)
    x32, y32 = x.float().to(dev), y.float().to(dev)
    pos, ei = pos.to(dev), ei.to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    rss_setup = proc_status("VmRSS")
    peak_ok = reset_peak_rss()
    lp = livepeak()
    if lp:
        lp[0]()
    times, losses = [], []
    if gpu:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    for k in range(a.warmup + a.reps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        out = model(x32, pos, ei, edge_attr)
        r = (out - y32) / model.output_std
        loss = (r * r).mean()
        loss.backward()
        opt.step()
        if gpu:
            torch.cuda.synchronize()
        t = time.perf_counter() - t0
        losses.append(loss.item())
        if k >= a.warmup:
            times.append(t)
    hwm = proc_status("VmHWM") if peak_ok else -1
    live_peak = lp[1]() if lp else -1
    infer_times = []
    if a.infer > 0:  # inference: the forward alone, no autograd graph kept
        with torch.no_grad():
            for k in range(a.infer + 1):
                t0 = time.perf_counter()
                model(x32, pos, ei, edge_attr)
                if gpu:
                    torch.cuda.synchronize()
                if k:
                    infer_times.append(time.perf_counter() - t0)
    profile = None
    if a.profile:  # one more step under the autograd profiler: self time per operator (ms)
        with torch.autograd.profiler.profile() as prof:
            opt.zero_grad(set_to_none=True)
            out = model(x32, pos, ei, edge_attr)
            r = (out - y32) / model.output_std
            (r * r).mean().backward()
            opt.step()
        profile = {e.key: e.self_cpu_time_total / 1e3 for e in prof.key_averages()}
    emit({"mode": "reference_train", "threads": a.threads, "nodes": n, "edges": int(ei.shape[1]),
          "params": nparams, "warmup": a.warmup, "step_times": times, "losses": losses,
          "step_min": min(times) if times else -1, "step_median": float(np.median(times)) if times else -1,
          "rss_start_kb_sum": rss_start, "rss_setup_kb_sum": rss_setup, "hwm_train_kb_sum": hwm,
          "live_peak_bytes_sum": live_peak, "torch": torch.__version__, "profile_self_ms": profile, "infer_times": infer_times,
          "device": a.device, "device_peak_bytes": torch.cuda.max_memory_allocated() if gpu else -1}, a.json)


def cmd_peak(a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x, w = torch.randn(a.n, a.n), torch.randn(a.n, a.n)
    torch.mm(x, w)
    best = 1e30
    for _ in range(3):
        t0 = time.perf_counter()
        torch.mm(x, w)
        best = min(best, time.perf_counter() - t0)
    emit({"mode": "reference_peak", "threads": a.threads, "n": a.n, "mm_gflops": 2.0 * a.n ** 3 / best / 1e9}, a.json)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("prefix")
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--warmup", type=int, default=2, help="untimed steps first (default 2)")
    t.add_argument("--reps", type=int, default=10, help="timed steps (default 10)")
    t.add_argument("--lr", type=float, default=1e-4)
    t.add_argument("--json")
    t.add_argument("--profile", action="store_true", help="profile one more step (operator self times)")
    t.add_argument("--device", default="cpu", help="cpu or cuda")
    t.add_argument("--infer", type=int, default=0, help="timed inference passes after the steps (default 0)")
    k = sub.add_parser("peak")
    k.add_argument("--threads", type=int, default=1)
    k.add_argument("--n", type=int, default=4096)
    k.add_argument("--json")
    a = p.parse_args()
    cmd_train(a) if a.cmd == "train" else cmd_peak(a)


if __name__ == "__main__":
    main()
