"""The "reproducible training" section of make bench (issue 16): the training step with and without
-gnn_train_reproducible (every sum of the step in fixed point: the same bits at any rank count) in
the same run, the two modes alternating over rounds, on 1 rank x 2 threads and on 2 ranks x 1
thread (where its all-reduces cross ranks). Numbers, never asserts. Driven by bench/run_bench.py
(Bench.repro; `--only repro` runs this section alone).
"""

import statistics

ROUNDS = 2
MODES = [("default sums", []), ("reproducible", ["-gnn_train_reproducible"])]
LAYOUTS = [(1, 2), (2, 1)]  # (ranks, threads per rank)


def measure(b, quick):
    n = (8, 8, 8) if quick else (32, 32, 32)
    reps = 2 if quick else 5
    runs = {f"{r}x{t} {name}": [] for r, t in LAYOUTS for name, _ in MODES}
    for k in range(ROUNDS):
        for r, t in LAYOUTS:
            order = MODES if k % 2 == 0 else MODES[::-1]
            for name, opts in order:
                runs[f"{r}x{t} {name}"].append(b.ours(n, r, t, 2, reps, what=f"repro {n[0]}^3 {r}r x {t}t {name} round {k}",
                                                      extra=opts))
    return {"nodes3": n, "runs": runs}


def analyse(S):
    A = {}
    for key, ds in S["runs"].items():
        steps = [t for d in ds for t in d["step_times"]]
        A[key] = {"step": statistics.median(steps), "step_min": min(steps), "n": len(steps), "nodes": ds[0]["nodes"]}
    return A


def report(S, A, w):
    n = S["nodes3"]
    w("## Reproducible training (issue 16)")
    w("")
    first = next(iter(A.values()))
    w(f"{n[0]}^3 = {first['nodes']:,} nodes, the reference model in float32, training step (`GNNTrainerStep`) with the "
      f"default sums and with `-gnn_train_reproducible`, the two modes alternating over {ROUNDS} rounds in one run; "
      "medians [min] of all timed steps. The machine is shared (other jobs ran beside it): the ratio of the two "
      "modes in one run means more than either time.")
    w("")
    w("| ranks x threads | default sums [s] | reproducible [s] | ratio |")
    w("|---|---|---|---|")
    for r, t in LAYOUTS:
        d, p = A[f"{r}x{t} {MODES[0][0]}"], A[f"{r}x{t} {MODES[1][0]}"]
        w(f"| {r} x {t} | {d['step']:.3f} [{d['step_min']:.3f}] | {p['step']:.3f} [{p['step_min']:.3f}] | "
          f"{p['step'] / d['step']:.2f}x |")
    w("")
