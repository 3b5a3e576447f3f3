"""The "levers" section of make bench (issue 11, the GPU speed and size work, measured on the CPU):
what -gnn_recompute layers and mlp (the fused MLP backward) cost and save in training, and what the fused MLP forward
(GNNKernelMLPForward) gives in inference against the same layers run one at a time
(PETSCGNN_MLP=layers). Numbers, never asserts. Driven by bench/run_bench.py (Bench.levers); every
process is `bench -bench_mode train -bench_infer R`, with the live-memory meter preloaded and the
tensor cache off (so the meter counts live tensors only), the variants alternating over rounds.
"""

import statistics

ROUNDS = 2
VARIANTS = [  # (name, extra options, extra environment)
    ("keep every activation, fused inference", ["-gnn_recompute", "none"], {}),
    ("recompute layers, fused inference", ["-gnn_recompute", "layers"], {}),
    ("recompute MLPs (fused backward), fused inference", ["-gnn_recompute", "mlp"], {}),
    ("keep every activation, inference layer by layer", ["-gnn_recompute", "none"], {"PETSCGNN_MLP": "layers"}),
]


def measure(b, quick, run_json):
    n = (8, 8, 8) if quick else (32, 32, 32)
    reps, infer = (2, 2) if quick else (5, 6)
    runs = {name: [] for name, _, _ in VARIANTS}
    for k in range(ROUNDS):
        order = VARIANTS if k % 2 == 0 else VARIANTS[::-1]
        for name, opts, env in order:
            runs[name].append(b.ours(n, 1, 2, 2, reps, what=f"levers {n[0]}^3 {name} round {k}",
                                     extra=opts + ["-gnn_tensor_cache", "false", "-bench_infer", str(infer)], envx=env))
    # each kernel alone on one edge MLP of the same graph (6 edges per node), the fused ones against
    # the layers one at a time, alternating over the rounds like the variants
    kern = []
    for k in range(ROUNDS):
        kern.append(run_json(b.mpi(1) + [b.exe, "-bench_mode", "kernels", "-bench_threads", "2", "-bench_reps", "3" if quick else "5",
                                         "-bench_kernels_m", str(6 * n[0] ** 3), "-bench_kernels_n", str(n[0] ** 3)], 2,
                             what=f"levers kernels round {k}"))
    return {"nodes3": n, "threads": 2, "runs": runs, "kernels": kern}


def analyse(S):
    A = {}
    for name, ds in S["runs"].items():
        steps = [t for d in ds for t in d["step_times"]]
        inf = [t for d in ds for t in d.get("infer_times", [])]
        live = [d["live_peak_bytes_sum"] / d["nodes"] / 1024 for d in ds if "live_peak_bytes_sum" in d]
        A[name] = {"step": statistics.median(steps), "step_min": min(steps),
                   "infer": statistics.median(inf) if inf else None, "infer_min": min(inf) if inf else None,
                   "live_kib_node": statistics.median(live) if live else None, "nodes": ds[0]["nodes"]}
    kern = S.get("kernels") or []
    if kern:
        names = [k[:-2] for k in kern[0] if k.endswith("_s") and k != "wall_s"]
        A["kernels"] = {nm: {"s": statistics.median([d[nm + "_s"] for d in kern]),
                             "gflops": statistics.median([d[nm + "_gflops"] for d in kern]),
                             "gbs": statistics.median([d[nm + "_gbs"] for d in kern])} for nm in names}
        A["kernels_mn"] = (kern[0]["m"], kern[0]["n"])
    return A


def report(S, A, w):
    n = S["nodes3"]
    keep, rec, mlp, lay = (A[v[0]] for v in VARIANTS)
    w("## GPU levers measured on the CPU (issue 11)")
    w("")
    w(f"{n[0]}^3 = {keep['nodes']:,} nodes, 1 rank x {S['threads']} threads, the reference model in float32, "
      "tensor cache off (the live-memory meter then counts live tensors only), the variants alternating over "
      f"{ROUNDS} rounds; medians [min]. Training step: `GNNTrainerStep`; inference: `GNNApply` (`bench -bench_infer`). "
      "`-gnn_recompute layers` keeps only each processor layer's inputs and runs the layer again in backward (same "
      "gradients, bit for bit); `-gnn_recompute mlp` keeps only each MLP's input and the fused backward "
      "(`GNNKernelMLPBackward`) computes its activations again, 96 rows at a time in the cache (the same gradients; "
      "on the GPU a block's tile in shared memory; the edge MLP from its edge start); inference runs each MLP as one fused kernel (`GNNKernelMLPForward`) unless "
      "`PETSCGNN_MLP=layers` (same outputs, bit for bit). On the GPU the fused kernel keeps a row's activations in "
      "registers; here it keeps 96 rows in the cache. GPU figures: [gpu.md](gpu.md).")
    w("")
    w("| variant | training step [s] | live tensors at the training peak [KiB/node] | inference [s] |")
    w("|---|---|---|---|")
    for name, _, _ in VARIANTS:
        a = A[name]
        inf = f"{a['infer']:.3f} [{a['infer_min']:.3f}]" if a["infer"] else "-"
        live = f"{a['live_kib_node']:.1f}" if a["live_kib_node"] else "-"
        w(f"| {name} | {a['step']:.3f} [{a['step_min']:.3f}] | {live} | {inf} |")
    w("")
    if keep["live_kib_node"] and rec["live_kib_node"]:
        w(f"Recomputing the layers holds {rec['live_kib_node'] / keep['live_kib_node']:.2f}x the memory per node for "
          f"{rec['step'] / keep['step']:.2f}x the step time; recomputing the MLPs {mlp['live_kib_node'] / keep['live_kib_node']:.2f}x "
          f"for {mlp['step'] / keep['step']:.2f}x. The fused inference takes "
          f"{keep['infer'] / lay['infer']:.2f}x the time of the layers one at a time.")
        w("")
    if A.get("kernels"):
        m, nn = A["kernels_mn"]
        w(f"Each kernel alone (`bench -bench_mode kernels`) on one processor layer's edge MLP of the same graph: "
          f"{int(m):,} edges, {int(nn):,} nodes, float32, 2 threads, medians over {ROUNDS} runs. GFLOP/s and GB/s "
          "count what the algorithm needs (each input read and each output written once; the layer-by-layer "
          "backward also writes and reads back every activation), so GB/s is traffic avoided or not, not the "
          "machine's. The fused backward does the forward again: 3x the forward's FLOPs, as the layered one "
          "(forward kept, then dX and dW).")
        w("")
        w("| kernel | time [ms] | GFLOP/s | GB/s |")
        w("|---|---|---|---|")
        for nm, k in A["kernels"].items():
            w(f"| {nm} | {1e3 * k['s']:.2f} | {k['gflops']:.1f} | {k['gbs']:.1f} |")
        w("")
        kk = A["kernels"]
        if "mlp_backward_fused" in kk and "mlp_backward_layers" in kk:
            w(f"The fused backward takes {kk['mlp_backward_fused']['s'] / kk['mlp_backward_layers']['s']:.2f}x the time of the "
              f"layers' backward with their forward; the fused forward {kk['mlp_forward_fused']['s'] / kk['mlp_forward_layers']['s']:.2f}x "
              "the layers one at a time.")
            w("")
