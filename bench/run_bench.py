#!/usr/bin/env python3
"""make bench: measures petscgnn's training step against the plain-PyTorch reference model
(share/python/meshgraphnet.py) in the same run, and writes docs/benchmarks.md, docs/bench_*.png and
docs/benchmarks.json (every measurement, the inputs of bench/scaling_model.py).

  run_bench.py [--build build] [--docs docs] [--quick] [--only scale]

Reference configuration: H = 32, 5 hidden layers per MLP, L = 4, float32, on the vertex graph of a
3-D hex box (6-neighbour lattice, n^3 nodes). Every timing is a separate process (bench/bench.cxx
for petscgnn, bench/reference.py for PyTorch) with OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = the
LibTorch thread count, under mpiexec --bind-to none; petscgnn and the reference alternate, so a
background load hits both; before each, the script waits up to 30 s for the CPUs to be idle and
records how busy they were. Both codes get WARMUP = 2 untimed steps per process; at 32^3 both are
timed at 1 and at 2 threads in ROUNDS = 2 alternating rounds of 5 steps (10 timed steps per code and
thread count), and the summary compares them at each thread count and each at its best thread count
(the reference, Debian's torch 1.13, is often faster with 1 thread than with 2); 48^3 runs each code
at its best thread count of 32^3. Step times: median, min and max (tables and benchmarks.json,
"summary"); ratios of the medians and of the minima.
--quick: small sizes and few steps, to check the pipeline in a few minutes (not for the numbers).
--from-json FILE: no measurements, rewrites the report, plots and JSON from a run's benchmarks.json.
--only overlap: the halo-overlap section alone (bench/overlap.py), likewise; --only levers likewise.
--only scale: measures the scale section alone (bench/scale.py: per-rank memory by phase, set-up
time against the node count), the other sections from DOCS/benchmarks.json; rewrites the report.
Timings are reported, never asserted.
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import scaling_model  # noqa: E402
import scale as scale_section  # noqa: E402
import levers as levers_section  # noqa: E402
import overlap as overlap_section  # noqa: E402
import repro as repro_section  # noqa: E402

PY = "/usr/bin/python3"  # Debian's Python with torch
H, NH, L = 32, 5, 4
MODEL = ["-gnn_hidden", str(H), "-gnn_mlp_hidden_layers", str(NH), "-gnn_layers", str(L),
         "-gnn_precision", "float32", "-gnn_layer_norm", "true"]
EVENTS = ["GNNEncode", "GNNHaloExchange", "GNNEdgeMLP", "GNNAggregate", "GNNNodeMLP", "GNNDecode",
          "GNNBackward", "GNNGradReduce"]
T_START = time.time()


def log(msg):
    print(f"[bench {time.time() - T_START:6.0f} s] {msg}", file=sys.stderr, flush=True)


def env_for(threads):
    e = dict(os.environ)
    e.update(OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
             OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_rmaps_base_oversubscribe="1")
    return e


def cpu_busy(interval=0.5):
    """Fraction of all CPUs busy over interval (from /proc/stat): the background load just before a run."""
    def read():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v), v[3] + v[4]  # total, idle + iowait
    t0, i0 = read()
    time.sleep(interval)
    t1, i1 = read()
    return 1.0 - (i1 - i0) / max(t1 - t0, 1)


# Timing protocol (both codes alike): WARMUP untimed steps in every timed process (the reference's
# first steps are up to 1.5x slower), then the timed steps; at 32^3 ROUNDS alternating rounds of
# REPS_PER_ROUND steps per (code, thread count), i.e. ROUNDS x REPS_PER_ROUND steps each.
WARMUP = 2
ROUNDS = 2
REPS_PER_ROUND = 5
REPS_48, REPS_48_REF = 5, 3  # 48^3: the reference's step takes ~14 s here
REPS_SCALING = 10  # strong/weak runs (petscgnn only)
QUIET_WAIT_S = 30.0  # per timed process: wait up to this long for the CPUs to be idle (other users)


def wait_quiet(limit=None):
    """Waits until the CPUs are less than 10% busy, for at most limit seconds; returns the last reading."""
    limit = QUIET_WAIT_S if limit is None else limit
    t0 = time.time()
    busy = cpu_busy()
    while busy > 0.10 and time.time() - t0 < limit:
        busy = cpu_busy(1.0)
    return busy


def run_json(cmd, threads, timeout=900, what="", preload=None, quiet=None, envx=None):
    """Runs cmd, returns the dict of its BENCH_JSON line (with the background load before it).
    preload: a library for LD_PRELOAD (the live-memory meter, bench/livepeak.c); quiet: the longest wait
    for idle CPUs (default QUIET_WAIT_S)."""
    busy = wait_quiet(quiet)
    t0 = time.time()
    env = env_for(threads)
    env.update(envx or {})
    if preload:
        env["LD_PRELOAD"] = preload
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout, cwd=ROOT)
    if p.returncode != 0:
        sys.stderr.write(p.stdout[-4000:])
        raise RuntimeError(f"failed ({p.returncode}): {' '.join(cmd)}")
    for line in p.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            d = json.loads(line[len("BENCH_JSON "):])
            d["wall_s"] = time.time() - t0
            d["busy_before"] = busy
            log(f"{what or cmd[0]}: {d['wall_s']:.1f} s (background CPU busy before: {100 * busy:.0f}%)")
            return d
    raise RuntimeError(f"no BENCH_JSON line from {' '.join(cmd)}:\n{p.stdout[-2000:]}")


def box(n3):
    return ["-dm_plex_dim", "3", "-dm_plex_simplex", "0", "-dm_plex_box_faces", ",".join(str(k - 1) for k in n3)]


class Bench:
    def __init__(self, a):
        self.a = a
        self.exe = os.path.join(a.build, "bench", "bench")
        self.ex1 = os.path.join(a.build, "examples", "ex1")
        self.ex2 = os.path.join(a.build, "examples", "ex2")
        self.work = os.path.join(a.build, "bench-work")
        lp = os.path.join(a.build, "bench", "libgnnlivepeak.so")
        self.livepeak = lp if os.path.exists(lp) else None
        os.makedirs(self.work, exist_ok=True)
        os.makedirs(a.docs, exist_ok=True)
        self.R = {"config": {"hidden": H, "mlp_hidden_layers": NH, "layers": L, "precision": "float32"}}

    def mpi(self, ranks):
        return ["mpiexec", "--oversubscribe", "--bind-to", "none", "-n", str(ranks)]

    def ours(self, n3, ranks, threads, warmup, reps, export=None, profile=None, what="", extra=(), envx=None):
        cmd = self.mpi(ranks) + [self.exe, "-bench_mode", "train"] + box(n3) + MODEL + [
            "-gnn_threads", str(threads), "-bench_warmup", str(warmup), "-bench_reps", str(reps)] + list(extra)
        if export:
            cmd += ["-bench_export", export]
        if profile:
            cmd += ["-bench_profile", profile]
        return run_json(cmd, threads, what=what or f"ours {n3} {ranks}r x {threads}t", preload=self.livepeak, envx=envx)

    def ref(self, prefix, threads, warmup, reps, profile=False, what=""):
        cmd = [PY, os.path.join(HERE, "reference.py"), "train", prefix, "--threads", str(threads),
               "--warmup", str(warmup), "--reps", str(reps)] + (["--profile"] if profile else [])
        return run_json(cmd, threads, what=what or f"reference {threads}t", preload=self.livepeak)

    # ------------------------------------------------------------------------------------------
    def machine(self):
        cpu = "?"
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        mem = 0
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    mem = int(line.split()[1]) / 2 ** 20
        torch_v = subprocess.run([PY, "-c", "import torch; print(torch.__version__)"], capture_output=True,
                                 text=True).stdout.strip()
        git = subprocess.run(["git", "log", "-1", "--format=%h %s"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src", "include", "CMakeLists.txt"],
                               capture_output=True, text=True, cwd=ROOT).stdout.strip()
        self.R["git"] = {"commit": git, "library_changes_not_committed": dirty.splitlines()}
        self.R["machine"] = {"cpu": cpu, "cores": os.cpu_count(), "mem_gib": round(mem, 1),
                             "loadavg_start": os.getloadavg(), "kernel": platform.release(), "torch": torch_v}

    def peak(self):
        q = self.a.quick
        out = {}
        for t in (1, 2):
            c = run_json(self.mpi(1) + [self.exe, "-bench_mode", "peak", "-bench_threads", str(t),
                                        "-bench_peak_n", "1024" if q else "4096",
                                        "-bench_skinny_m", "20000" if q else "190464"], t, what=f"peak C++ {t}t")
            p = run_json([PY, os.path.join(HERE, "reference.py"), "peak", "--threads", str(t), "--n",
                          "1024" if q else "4096"], t, what=f"peak Python {t}t")
            out[t] = {"cpp": c, "python": p, "peak_gflops": max(c["mm_gflops"], p["mm_gflops"])}
        self.R["peak"] = out

    def training(self):
        q = self.a.quick
        n32, n48 = ((8, 8, 8), (12, 12, 12)) if q else ((32, 32, 32), (48, 48, 48))
        tiny = (4, 4, 4)
        W = self.work
        R = self.R["train"] = {}
        R["protocol"] = {"warmup": WARMUP, "rounds": ROUNDS, "reps_per_round": 2 if q else REPS_PER_ROUND,
                         "reps_48": 2 if q else REPS_48, "reps_48_ref": 2 if q else REPS_48_REF,
                         "reps_scaling": 2 if q else REPS_SCALING}
        P = R["protocol"]
        # tiny graph: memory baseline of both processes
        R["tiny"] = {"ours": self.ours(tiny, 1, 2, 1, 1, export=f"{W}/tiny", what="ours tiny"),
                     "ref": None}
        R["tiny"]["ref"] = self.ref(f"{W}/tiny", 2, 1, 1, what="reference tiny")
        # main size, 1 and 2 threads for both codes, alternating: every round runs the four
        # (code, threads) processes, the odd rounds in the reverse order (drift hits all alike)
        reps = P["reps_per_round"]
        r32 = R["n32"] = {"nodes3": n32, "ours": [], "ref": []}  # 2 threads
        r1 = R["n32_1t"] = {"nodes3": n32, "ours": [], "ref": []}  # 1 thread
        for k in range(ROUNDS):
            first = k == 0
            jobs = [("ours", 2), ("ref", 2), ("ours", 1), ("ref", 1)]
            for who, t in (jobs if k % 2 == 0 else jobs[::-1]):
                dst = r32 if t == 2 else r1
                tag = f"{n32[0]}^3 1r x {t}t round {k}" if who == "ours" else f"{n32[0]}^3 {t}t round {k}"
                if who == "ours":
                    prof = (f"{W}/profile32.json" if t == 2 else f"{W}/profile32_1t.json") if first else None
                    dst["ours"].append(self.ours(n32, 1, t, WARMUP, reps, export=f"{W}/n32" if first and t == 2 else None,
                                                 profile=prof, what=f"ours {tag}"))
                else:
                    dst["ref"].append(self.ref(f"{W}/n32", t, WARMUP, reps, profile=first, what=f"reference {tag}"))
        # each code's best thread count at 32^3 (median step of all its rounds): used at 48^3
        best = {}
        for who in ("ours", "ref"):
            med = {t: statistics.median([x for d in (r32 if t == 2 else r1)[who] for x in d["step_times"]]) for t in (1, 2)}
            best[who] = min(med, key=med.get)
        R["best_threads_n32"] = best
        # larger size, each code at its best thread count: check the memory first (~ its 32^3 per-node figure)
        r48 = R["n48"] = {"nodes3": n48, "ours": [], "ref": [], "skipped": None,
                          "threads_ours": best["ours"], "threads_ref": best["ref"]}
        need_kb = {}
        for who in ("ours", "ref"):
            d = r32[who][0]
            per_node = (d["hwm_train_kb_sum"] - R["tiny"][who]["hwm_train_kb_sum"]) / (d["nodes"] - 64)
            need_kb[who] = per_node * n48[0] * n48[1] * n48[2] + R["tiny"][who]["hwm_train_kb_sum"]
        avail = 0
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable"):
                    avail = int(line.split()[1])
        r48["predicted_kb"] = need_kb
        r48["available_kb"] = avail
        for who in ("ours", "ref"):
            if need_kb[who] > 0.9 * avail:
                r48["skipped"] = (r48["skipped"] or "") + f"{who}: needs ~{need_kb[who] / 2**20:.1f} GiB, " \
                                                          f"{avail / 2**20:.1f} GiB available. "
        if not r48["skipped"]:
            r48["ours"].append(self.ours(n48, 1, best["ours"], WARMUP, P["reps_48"], export=f"{W}/n48",
                                         what=f"ours {n48[0]}^3 1r x {best['ours']}t"))
            r48["ref"].append(self.ref(f"{W}/n48", best["ref"], WARMUP, P["reps_48_ref"],
                                       what=f"reference {n48[0]}^3 {best['ref']}t"))
            for f in os.listdir(W):  # the 48^3 files are large
                if f.startswith("n48."):
                    os.remove(os.path.join(W, f))
        # strong: 2 ranks x 1 thread at the same size; weak: twice the nodes on 2 ranks
        R["strong_2r1t"] = self.ours(n32, 2, 1, WARMUP, P["reps_scaling"], what=f"ours {n32[0]}^3 2r x 1t")
        nweak = (n32[0], n32[1], 2 * n32[2])
        R["weak_2r1t"] = self.ours(nweak, 2, 1, WARMUP, P["reps_scaling"], what=f"ours {nweak} 2r x 1t")
        R["weak_2r1t"]["nodes3"] = nweak

    def partitions(self):
        n = (12, 12, 12) if self.a.quick else (48, 48, 48)
        out = {}
        for P in (2, 4, 8, 16, 32, 64):
            out[P] = run_json(self.mpi(P) + [self.exe, "-bench_mode", "partition"] + box(n), 1,
                              what=f"partition {n[0]}^3 on {P} ranks")
        self.R["partitions"] = {"nodes3": n, "by_ranks": out}

    def consistency(self):
        q = self.a.quick
        faces = "16,16" if q else "32,32"
        steps = 40 if q else 200
        mesh = ["-dm_plex_dim", "2", "-dm_plex_simplex", "0", "-dm_plex_box_faces", faces,
                "-dm_plex_box_upper", "6.283185307179586,6.283185307179586"]
        W = self.work
        out = {"faces": faces, "steps": steps, "runs": {}}
        ref_y = None
        for P in (1, 2, 4, 8):
            for halo in ("sf", "none"):
                if P == 1 and halo == "none":
                    continue  # one rank has no cross-rank edges: the same model as sf
                tag = f"{P}_{halo}"
                csv = f"{W}/cons_{tag}.csv"
                cmd1 = self.mpi(P) + [self.ex1] + mesh + MODEL + ["-gnn_halo_type", halo, "-gnn_output_csv", csv]
                p = subprocess.run(cmd1, env=env_for(1), capture_output=True, text=True, cwd=ROOT, timeout=600)
                if p.returncode:
                    raise RuntimeError(p.stdout + p.stderr)
                data = np.loadtxt(csv, delimiter=",", skiprows=1)
                y = data[:, -2:]
                if ref_y is None:
                    ref_y = y
                fwd = float(np.abs(y - ref_y).max() / np.abs(ref_y).max())
                hist = f"{W}/cons_{tag}_history.csv"
                t0 = time.time()
                cmd2 = self.mpi(P) + [self.ex2] + mesh + MODEL + [
                    "-gnn_halo_type", halo, "-gnn_train_steps", str(steps), "-gnn_train_lr", "1e-3",
                    "-gnn_train_normalize", "-gnn_task_samples", "8", "-gnn_rollout_steps", "12",
                    "-gnn_train_history", hist, "-gnn_save_weights", f"{W}/cons_{tag}.pt"]
                p = subprocess.run(cmd2, env=env_for(1), capture_output=True, text=True, cwd=ROOT, timeout=900)
                if p.returncode:
                    raise RuntimeError(p.stdout + p.stderr)
                roll = [float(m.group(2)) for m in re.finditer(r"rollout step\s+(\d+) .*relative L2 error (\S+)", p.stdout)]
                h = np.loadtxt(hist, delimiter=",", skiprows=1)
                # the trained model used on 1 rank (the whole graph, no cut): one-step error
                csv1 = f"{W}/cons_{tag}_on1.csv"
                cmd3 = self.mpi(1) + [self.ex1] + mesh + MODEL + ["-gnn_load_weights", f"{W}/cons_{tag}.pt",
                                                                  "-gnn_output_csv", csv1]
                p3 = subprocess.run(cmd3, env=env_for(1), capture_output=True, text=True, cwd=ROOT, timeout=600)
                if p3.returncode:
                    raise RuntimeError(p3.stdout + p3.stderr)
                d1 = np.loadtxt(csv1, delimiter=",", skiprows=1)
                exact = d1[:, 2:4] * np.exp(-2 * 0.1 * 0.25)  # u(dt) = u(0) exp(-2 nu dt), d = 2
                err1 = float(np.linalg.norm(d1[:, 4:6] - exact) / np.linalg.norm(exact))
                out["runs"][tag] = {"ranks": P, "halo": halo, "forward_rel_diff": fwd,
                                    "forward_bitwise": bool(np.array_equal(y, ref_y)),
                                    "loss_history": h[:, 1].tolist(), "rollout_error": roll,
                                    "one_step_error_on_1_rank": err1}
                log(f"consistency {P} ranks halo {halo}: {time.time() - t0:.1f} s")
        self.R["consistency"] = out

    def scale(self):
        """Per-rank peak memory by phase on a large graph and set-up time against the node count
        (bench/scale.py)."""
        self.R["scale"] = scale_section.measure(self, run_json, log)

    def overlap(self):
        """Step and inference times with the halo exchange overlapped and not, 2 and 4 ranks (bench/overlap.py)."""
        self.R["overlap"] = overlap_section.measure(self, self.a.quick)

    def repro(self):
        """The training step with and without -gnn_train_reproducible (bench/repro.py)."""
        self.R["repro"] = repro_section.measure(self, self.a.quick)

    def levers(self):
        """-gnn_recompute and the fused MLP forward on the CPU (bench/levers.py)."""
        self.R["levers"] = levers_section.measure(self, self.a.quick, run_json)


# ---------------------------------------------------------------------------------------------- #
# Analysis

def iter_runs(R):
    """Every timed process's result in R."""
    T = R["train"]
    for k in ("tiny", "n32", "n48", "n32_1t"):
        for who in ("ours", "ref"):
            v = T[k][who]
            for d in (v if isinstance(v, list) else [v]):
                yield d
    yield T["strong_2r1t"]
    yield T["weak_2r1t"]


def stats(xs):
    xs = sorted(xs)
    med = statistics.median(xs)
    return {"median": med, "min": xs[0], "max": xs[-1], "n": len(xs),
            "spread_pct": 100.0 * (xs[-1] - xs[0]) / med if med > 0 else 0.0}


def floss(d):
    """Final training loss: the mean of the last pass through the 8 samples."""
    h = d["loss_history"]
    return float(np.mean(h[-8:]))


def mlp_flops(rows, a, b):
    return 2.0 * rows * (a * H + NH * H * H + H * b)


def step_flops(N, E, fin=3, fout=3, dim=3):
    """FLOPs of the MLPs of one training step: forward x 3 (backward: input and weight gradients)."""
    fwd = mlp_flops(N, fin, H) + mlp_flops(E, dim + 1, H) + L * (mlp_flops(E, 3 * H, H) + mlp_flops(N, 2 * H, H)) \
        + mlp_flops(N, H, fout)
    return 3.0 * fwd


def step_flops_ours(N, E, fin=3, fout=3, dim=3):
    """The same for petscgnn on 1 rank, whose first edge-MLP layer takes e_ji per edge (H inputs) and
    h_i W_i, h_j W_j once per node (2 x 2 H H per node)."""
    fwd = mlp_flops(N, fin, H) + mlp_flops(E, dim + 1, H) + L * (mlp_flops(E, H, H) + 2 * 2.0 * N * H * H
                                                                 + mlp_flops(N, 2 * H, H)) + mlp_flops(N, H, fout)
    return 3.0 * fwd


def fmt_t(s):
    return f"{s:.3f}" if s < 10 else f"{s:.2f}"


def fmt_stat(st):
    return f"{fmt_t(st['median'])} [{fmt_t(st['min'])}-{fmt_t(st['max'])}]"


def fmt_bytes(b):
    for u, s in ((2 ** 30, "GiB"), (2 ** 20, "MiB"), (2 ** 10, "KiB")):
        if b >= u:
            return f"{b / u:.2f} {s}"
    return f"{b:.0f} B"


def parse_trace(path):
    """Self time (ms) per operator in a LibTorch Chrome trace, split into forward and backward
    (inside an autograd::engine::evaluate_function), backward keyed by (node, op); and the time
    not covered by any operator (the custom forward kernel runs without a record)."""
    with open(path) as f:
        ev = [e for e in json.load(f) if e.get("ph") == "X"]
    ev.sort(key=lambda e: (e["tid"], e["ts"], -e["dur"]))
    selft, node_of, stack = {}, {}, []
    fwd, bwd = {}, {}
    span0, span1 = min(e["ts"] for e in ev), max(e["ts"] + e["dur"] for e in ev)
    for i, e in enumerate(ev):
        while stack and ev[stack[-1]]["ts"] + ev[stack[-1]]["dur"] <= e["ts"] + 1e-6:
            stack.pop()
        selft[i] = e["dur"]
        if stack:
            selft[stack[-1]] -= e["dur"]
            node_of[i] = node_of.get(stack[-1])
        if e["name"].startswith("autograd::engine::evaluate_function: "):
            nm = e["name"].split(": ", 1)[1]
            m = re.search(r"CppNode<\(anonymous namespace\)::(\w+)>", nm)
            node_of[i] = m.group(1) if m else nm
        stack.append(i)
    for i, e in enumerate(ev):
        if e["name"].startswith("autograd::engine"):
            key = None
        else:
            key = e["name"]
        if node_of.get(i):
            k = (node_of[i], key or "(engine)")
            bwd[k] = bwd.get(k, 0.0) + selft[i] / 1e3
        else:
            fwd[key or "(engine)"] = fwd.get(key or "(engine)", 0.0) + selft[i] / 1e3
    traced = sum(selft.values()) / 1e3
    return {"span_ms": (span1 - span0) / 1e3, "traced_ms": traced, "forward": fwd,
            "backward": {f"{a}|{b}": v for (a, b), v in bwd.items()}}


def analyse(R):
    A = {}
    T = R["train"]
    tiny = T["tiny"]
    peak2 = R["peak"]["2"]["peak_gflops"] if "2" in R["peak"] else R["peak"][2]["peak_gflops"]
    peak1 = R["peak"]["1"]["peak_gflops"] if "1" in R["peak"] else R["peak"][1]["peak_gflops"]
    A["peak_gflops"] = {"1": peak1, "2": peak2}

    def mem(d, who):
        base = tiny[who]["hwm_train_kb_sum"]
        N = d["nodes"]
        return {"total_kib_per_node": (d["hwm_train_kb_sum"] - base) / (N - 64),
                "live_kib_per_node": d.get("live_peak_bytes_sum", -1) / 1024 / N,
                "steps_kib_per_node": (d["hwm_train_kb_sum"] - d["rss_setup_kb_sum"]) / N,
                "hwm_gib": d["hwm_train_kb_sum"] / 2 ** 20}

    def runs_of(v):
        return v if isinstance(v, list) else [v]  # one process (older files) or a list of rounds

    def steps_of(v):
        return [t for d in runs_of(v) for t in d["step_times"]]

    def row(size, ours, ref, to, tr, kind):
        """One line of the summary: petscgnn's processes `ours` at `to` threads against the reference's
        `ref` at `tr` threads; ratios of the medians and of the minima (the reference's over ours)."""
        ours, ref = runs_of(ours), runs_of(ref)
        o, f = stats(steps_of(ours)), stats(steps_of(ref))
        d0 = ours[0]
        N, E = d0["nodes"], d0["edges"]
        fl = step_flops(N, E)
        return {"size": size, "kind": kind, "nodes": N, "edges": E, "threads": to if to == tr else f"{to} / {tr}",
                "threads_ours": to, "threads_ref": tr, "ours": o, "ref": f,
                "ratio": f["median"] / o["median"], "ratio_min": f["min"] / o["min"],
                "fom_ours": N / o["median"] / 1e6, "fom_ref": N / f["median"] / 1e6,
                "gflop_step": fl / 1e9, "gflop_step_ours": step_flops_ours(N, E) / 1e9,
                "gflops_ours": fl / o["median"] / 1e9, "gflops_ref": fl / f["median"] / 1e9,
                "mem_ours": mem(d0, "ours"), "mem_ref": mem(ref[0], "ref"),
                "loss0_ours": d0["losses"][0], "loss0_ref": ref[0]["losses"][0]}

    # 32^3 at 2 and at 1 thread (both codes at the same count), then each code at its best thread
    # count (the smaller median step), then 48^3 (each at its best count of 32^3)
    r1 = T["n32_1t"]
    by_t = {2: T["n32"], 1: r1}
    rows = [row("n32", by_t[t]["ours"], by_t[t]["ref"], t, t, "same") for t in (2, 1)]
    best = {who: min((1, 2), key=lambda t: statistics.median(steps_of(by_t[t][who]))) for who in ("ours", "ref")}
    rows.append(row("n32", by_t[best["ours"]]["ours"], by_t[best["ref"]]["ref"], best["ours"], best["ref"], "best"))
    A["best_threads"] = best
    A["ref_by_threads"] = {str(t): stats(steps_of(by_t[t]["ref"])) for t in (1, 2)}
    A["ours_by_threads"] = {str(t): stats(steps_of(by_t[t]["ours"])) for t in (1, 2)}
    r48 = T["n48"]
    if r48["ours"]:
        rows.append(row("n48", r48["ours"], r48["ref"], r48.get("threads_ours", 2), r48.get("threads_ref", 2),
                        "best" if "threads_ours" in r48 else "same"))  # older files: both at 2 threads
    R["summary"] = {"rows": [{k: v for k, v in r.items() if k not in ("mem_ours", "mem_ref")} for r in rows],
                    "best_threads_n32": best,
                    "note": "step times in s over all timed steps of the rounds: median, min, max, n; ratio = "
                            "reference median / petscgnn median, ratio_min = reference min / petscgnn min; kind "
                            "'same': both codes at the same thread count, 'best': each at its best thread count "
                            "(smallest median step at 32^3)"}
    A["rows"] = rows

    # phase shares (32^3, 1 rank x 2 threads): mean event time per step over the rounds
    runs = T["n32"]["ours"]
    step_mean = statistics.mean([t for d in runs for t in d["step_times"]])
    ph = {e: statistics.mean([d["events_max"][e] for d in runs]) for e in EVENTS + ["GNNHaloReverse"]}
    rest = step_mean - sum(ph[e] for e in EVENTS)
    A["phases"] = {"step_mean": step_mean, "events": ph, "rest": rest}

    # operator profile (one step, 32^3, 2 threads)
    A["profile"], A["profile_ref"] = {}, {}
    for t, f, ref in (("2", "profile32.json", T["n32"]["ref"][0]), ("1", "profile32_1t.json", runs_of(r1["ref"])[0])):
        prof = os.path.join(R["_work"], f)
        if os.path.exists(prof):
            A["profile"][t] = parse_trace(prof)
        elif t in (R.get("profiles") or {}):  # --from-json / --only without the run's traces: the parsed ones
            A["profile"][t] = R["profiles"][t]
        if ref.get("profile_self_ms"):
            A["profile_ref"][t] = ref["profile_self_ms"]
    R["profiles"] = A["profile"]  # kept in benchmarks.json

    # strong / weak (1 thread per rank)
    s11 = stats(steps_of(r1["ours"]))["median"]
    s12 = stats([t for d in runs for t in d["step_times"]])["median"]
    s21 = stats(T["strong_2r1t"]["step_times"])["median"]
    w21 = stats(T["weak_2r1t"]["step_times"])["median"]
    A["strong_weak"] = {"1r1t": s11, "1r2t": s12, "2r1t": s21, "weak_2r1t": w21,
                        "speedup_threads": s11 / s12, "speedup_ranks": s11 / s21,
                        "ranks_vs_threads": s12 / s21, "weak_eff": s11 / w21,
                        "strong_stats": stats(T["strong_2r1t"]["step_times"]), "base_stats": stats(steps_of(r1["ours"])),
                        "threads_stats": stats([t for d in runs for t in d["step_times"]]),
                        "weak_stats": stats(T["weak_2r1t"]["step_times"]),
                        "halo_2r": T["strong_2r1t"]["events_max"]["GNNHaloExchange"] + T["strong_2r1t"]["events_max"]["GNNHaloReverse"],
                        "mem_2r_kib_per_node": (T["strong_2r1t"]["hwm_train_kb_sum"] - 2 * tiny["ours"]["hwm_train_kb_sum"]) / T["strong_2r1t"]["nodes"]}

    # halo bytes per step: measured 2-rank runs and the partitions 2..64
    def halo(d):
        P = d["ranks"]
        g = sum(d["ghost"])
        return {"ranks": P, "nodes": d["nodes"], "ghosts": g, "max_ghost": max(d["ghost"]),
                "max_neighbours": max(d["neighbours"]), "max_pair": d["max_pair"],
                "ours_fp32": g * H * 4 * 2 * L, "ours_actual": g * H * L * (4 + 8),
                "a2a": P * (P - 1) * d["max_pair"] * H * 4 * 2 * L,
                "msgs_ours": sum(d["neighbours"]) * 2 * L, "msgs_a2a": P * (P - 1) * 2 * L,
                "imbalance": max(d["owned"]) / (sum(d["owned"]) / P)}
    A["halo"] = [halo(T["strong_2r1t"]), halo(T["weak_2r1t"])]
    parts = R["partitions"]["by_ranks"]
    A["halo_partitions"] = [halo(parts[k]) for k in sorted(parts, key=int)]

    # scaling model inputs and predictions
    inputs = {"t_node": s11 / runs_of(r1["ours"])[0]["nodes"], "t_node_2t": s12 / runs[0]["nodes"], "layers": L, "hidden": H, "mlp_hidden_layers": NH,
              "params": runs[0]["params"], "partitions": {str(k): v for k, v in parts.items()},
              "partition_nodes3": R["partitions"]["nodes3"]}
    R["scaling_inputs"] = inputs
    nets = [("HPC (Slingshot-class)", 25e9, 2e-6), ("100 Gb/s Ethernet", 12.5e9, 10e-6), ("10 Gb/s Ethernet", 1.25e9, 30e-6)]
    rates = [("this CPU, 1 core (measured)", inputs["t_node"]),
             ("GPU-class (0.32 us/node, assumed)", 0.28 / 885e3)]
    A["scaling"] = {"nets": nets, "rates": rates, "pred": {}, "pred_overlap": {},
                    "overlap_window": scaling_model.overlap_window(inputs)}
    for rn, tn in rates:
        for nn, bw, lat in nets:
            A["scaling"]["pred"][f"{rn}|{nn}"] = scaling_model.predict(inputs, 1e6, bw, lat, t_node=tn)
    # the GPU-class rate with the halo overlapped (-gnn_halo_overlap): where it matters
    rn, tn = rates[1]
    for nn, bw, lat in nets:
        A["scaling"]["pred_overlap"][f"{rn}, overlap|{nn}"] = scaling_model.predict(inputs, 1e6, bw, lat, t_node=tn,
                                                                                    overlap=True)

    # consistency
    A["consistency"] = R["consistency"]
    if "scale" in R:
        A["scale"] = scale_section.analyse(R["scale"])
    if "levers" in R:
        A["levers"] = levers_section.analyse(R["levers"])
    if "overlap" in R:
        A["overlap"] = overlap_section.analyse(R["overlap"])
    if "repro" in R:
        A["repro"] = repro_section.analyse(R["repro"])
    return A


# ---------------------------------------------------------------------------------------------- #
# Plots and the report

def plots(R, A, docs):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    files = {}

    # 1. step time ours vs reference
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    labels, xs = [], 0
    for r in A["rows"]:
        if r.get("kind") == "best" and r["size"] == "n32":
            continue  # the same processes as the 1- and 2-thread bars
        lab = f"{round(r['nodes'] ** (1 / 3))}^3, {r['threads']}t".replace(" / ", "/")
        for k, (who, c) in enumerate((("ours", "C0"), ("ref", "C1"))):
            st = r[who]
            ax.bar(xs + 0.4 * k, st["median"], 0.38, color=c, label=("petscgnn" if who == "ours" else "PyTorch reference") if xs == 0 else None,
                   yerr=[[st["median"] - st["min"]], [st["max"] - st["median"]]], capsize=3)
        labels.append(lab)
        xs += 1
    ax.set_xticks([k + 0.2 for k in range(xs)], labels)
    ax.set_ylabel("training step [s]")
    ax.set_title("Training step (median, min-max), H=32, 5 hidden, L=4, fp32")
    ax.legend()
    fig.tight_layout()
    files["step"] = "bench_step_time.png"
    fig.savefig(os.path.join(docs, files["step"]), dpi=110)
    plt.close(fig)

    # 2. phase shares
    ph = A["phases"]
    names = ["GNNEncode", "GNNHaloExchange", "GNNEdgeMLP", "GNNAggregate", "GNNNodeMLP", "GNNDecode", "GNNBackward",
             "GNNGradReduce"]
    vals = [ph["events"][n] for n in names] + [max(ph["rest"], 0.0)]
    labs = [n.replace("GNN", "") for n in names] + ["rest (loss, Adam, copies)"]
    fig, ax = plt.subplots(figsize=(6.4, 2.8))
    left = 0
    for k, (v, lab) in enumerate(zip(vals, labs)):
        ax.barh(0, v, left=left, label=f"{lab} {100 * v / ph['step_mean']:.1f}%", color=f"C{k % 10}")
        left += v
    ax.set_yticks([])
    ax.set_xlabel("seconds per step (32^3, 1 rank x 2 threads)")
    ax.legend(fontsize=7, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.3))
    fig.tight_layout()
    files["phases"] = "bench_phases.png"
    fig.savefig(os.path.join(docs, files["phases"]), dpi=110)
    plt.close(fig)

    # 3. halo bytes vs ranks
    hp = A["halo_partitions"]
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    P = [h["ranks"] for h in hp]
    ax.loglog(P, [h["ours_fp32"] for h in hp], "o-", label="petscgnn PetscSF (fp32 both ways)")
    ax.loglog(P, [h["ours_actual"] for h in hp], "s--", label="petscgnn as implemented (reverse in fp64)")
    ax.loglog(P, [h["a2a"] for h in hp], "^-", label="padded all_to_all (paper)")
    ax.set_xlabel("ranks")
    ax.set_ylabel("halo bytes per training step (all ranks)")
    ax.set_title(f"Halo traffic, {R['partitions']['nodes3'][0]}^3 lattice")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    files["halo"] = "bench_halo_bytes.png"
    fig.savefig(os.path.join(docs, files["halo"]), dpi=110)
    plt.close(fig)

    # 4. scaling model
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for k, (key, rows) in enumerate(A["scaling"]["pred"].items()):
        rn, nn = key.split("|")
        ls = "-" if rn.startswith("this") else "--"
        ax.semilogx([r["ranks"] for r in rows], [r["efficiency"] for r in rows], ls, marker="o", ms=3,
                    label=f"{rn.split(' (')[0]}, {nn}")
    rows = A["scaling"]["pred"][f"{A['scaling']['rates'][1][0]}|{A['scaling']['nets'][0][0]}"]
    ax.semilogx([r["ranks"] for r in rows], [r["efficiency_all_to_all"] for r in rows], ":", color="k",
                label="padded all_to_all, GPU-class, HPC net")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("ranks (1M nodes per rank)")
    ax.set_ylabel("predicted weak-scaling efficiency")
    ax.legend(fontsize=7)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    files["scaling"] = "bench_scaling_model.png"
    fig.savefig(os.path.join(docs, files["scaling"]), dpi=110)
    plt.close(fig)

    # 5. consistency study
    C = A["consistency"]["runs"]
    fig, axs = plt.subplots(1, 3, figsize=(11, 3.4))
    floor = 1e-9
    for halo, c, m in (("sf", "C0", "o"), ("none", "C3", "s")):
        ks = [k for k in C if C[k]["halo"] == halo or C[k]["ranks"] == 1]
        ks.sort(key=lambda k: C[k]["ranks"])
        axs[0].semilogy([C[k]["ranks"] for k in ks], [max(C[k]["forward_rel_diff"], floor) for k in ks], m + "-",
                        color=c, label=f"halo {halo}")
        axs[2].semilogy([C[k]["ranks"] for k in ks], [C[k]["rollout_error"][-1] for k in ks], m + "-", color=c,
                        label=f"halo {halo}, rollout step {len(C[ks[0]]['rollout_error'])}")
        axs[2].semilogy([C[k]["ranks"] for k in ks], [C[k]["rollout_error"][0] for k in ks], m + ":", color=c,
                        label=f"halo {halo}, one step")
    axs[0].axhline(floor, color="gray", lw=0.5)
    axs[0].set_title("forward output vs 1 rank\n(1e-9 drawn for bitwise equal)", fontsize=9)
    axs[0].set_xlabel("ranks")
    axs[0].set_ylabel("max |y_P - y_1| / max |y_1|")
    axs[0].legend(fontsize=8)
    for k in sorted(C, key=lambda k: (C[k]["halo"], C[k]["ranks"])):
        d = C[k]
        h = np.asarray(d["loss_history"])
        ep = h[: len(h) // 8 * 8].reshape(-1, 8).mean(1)  # mean over each pass through the 8 samples
        axs[1].semilogy(8 * np.arange(1, len(ep) + 1), ep, color="C0" if d["halo"] == "sf" else "C3",
                        alpha=0.4 + 0.15 * np.log2(d["ranks"]), lw=1,
                        label=f"{d['ranks']} ranks, {d['halo']}")
    axs[1].set_title("training loss (mean over each pass through the 8 samples)", fontsize=9)
    axs[1].set_xlabel("step")
    axs[1].legend(fontsize=6, ncol=2)
    axs[2].set_title("relative L2 error of the rollout", fontsize=9)
    axs[2].set_xlabel("ranks")
    axs[2].legend(fontsize=6)
    fig.tight_layout()
    files["consistency"] = "bench_consistency.png"
    fig.savefig(os.path.join(docs, files["consistency"]), dpi=110)
    plt.close(fig)
    return files


def report(R, A, files, docs):
    M = R["machine"]
    rows = A["rows"]
    L_ = []
    w = L_.append
    w("# Benchmarks")
    w("")
    w("Written by `make bench` (`bench/run_bench.py`, driver `bench/bench.cxx`, reference step "
      "`bench/reference.py`); every number below comes from the run of "
      f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(R.get('started', T_START)))} and is in `docs/benchmarks.json`. "
      "Timings are reported, never asserted.")
    w("")
    busy = [d["busy_before"] for d in iter_runs(R) if "busy_before" in d]
    w(f"Machine: {M['cpu']}, {M['cores']} cores, {M['mem_gib']} GiB, Linux {M['kernel']}, PyTorch/LibTorch "
      f"{M['torch']} (Debian), OpenBLAS (pthread). Background load: the CPUs were {100 * statistics.median(busy):.0f}% "
      f"busy (median; max {100 * max(busy):.0f}%) in the half second before each timed process; load average "
      f"{M['loadavg_start'][0]:.2f} at the start, {M['loadavg_end'][0]:.2f} at the end. Other processes slow both "
      "codes alike, since petscgnn and the reference run alternately, but widen the spread.")
    g = R.get("git", {})
    w("")
    w(f"Library measured: commit `{g.get('commit', '?')}`"
      + (f", with uncommitted changes in {', '.join(x.split()[-1] for x in g['library_changes_not_committed'])}"
         if g.get("library_changes_not_committed") else "") + ".")
    w("")
    pr = R["train"].get("protocol", {"warmup": 1, "rounds": 2, "reps_per_round": 3, "reps_48": 3, "reps_48_ref": 3})
    n32, n48 = R["train"]["n32"]["nodes3"][0], R["train"]["n48"]["nodes3"][0]
    w("Reference configuration: H = 32, 5 hidden layers per MLP, L = 4 processor layers, LayerNorm, "
      "float32; 3-D hex box vertex graph (`-dm_plex_dim 3 -dm_plex_simplex 0 -dm_plex_box_faces n-1,n-1,n-1`, "
      "6-neighbour lattice, n^3 nodes); the built-in Taylor-Green pair u(0) -> u(dt) as the one training sample; "
      "Adam, constant learning rate 1e-4. A step is forward, loss, backward, gradient all-reduce and "
      "optimiser (`GNNTrainerStep`); the reference step is `zero_grad`, forward, loss, backward and "
      "`torch.optim.Adam.step` of `share/python/meshgraphnet.py`'s `MeshGraphNet` with petscgnn's weights "
      "(`load_weights`) on the same graph (exported by `bench -bench_export`). Each timing is its own process "
      "with `OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = ` the thread count (`-gnn_threads` / "
      "`torch.set_num_threads`). Both codes get the same treatment: "
      f"{pr['warmup']} untimed warm-up steps in every process (the reference's first steps are up to 1.5x slower), "
      f"then the timed steps; at {n32}^3 {pr['rounds']} rounds of {pr['reps_per_round']} steps for each code and "
      "thread count (1 and 2), the codes and thread counts alternating (every round runs the four processes, "
      f"every other round in the reverse order), so {pr['rounds'] * pr['reps_per_round']} timed steps each; at "
      f"{n48}^3 {pr['reps_48']} (petscgnn) and {pr['reps_48_ref']} (reference) steps. A step time is reported as "
      "the median of the timed steps, [min-max] in brackets; ratios are of the medians, the ratio of the minima "
      "(the least disturbed steps) in brackets.")
    w("")
    w("## Summary")
    w("")
    w("| graph | threads (petscgnn / reference) | petscgnn step [s] | reference step [s] | reference / petscgnn (minima) | FOM_train petscgnn / ref [M nodes x steps / s] | GFLOP/s petscgnn / ref (peak) | train memory per node petscgnn / ref [KiB] |")
    w("|---|---|---|---|---|---|---|---|")
    for r in rows:
        to, tr = r.get("threads_ours", r["threads"]), r.get("threads_ref", r["threads"])
        pko, pkr = A["peak_gflops"][str(to)], A["peak_gflops"][str(tr)]
        pk = f"{pko:.0f}" if to == tr else f"{pko:.0f} / {pkr:.0f}"
        tl = f"{to}" if to == tr else f"{to} / {tr}"
        if r.get("kind") == "best":
            tl += ", each code's best"
        w(f"| {round(r['nodes'] ** (1 / 3))}^3 = {r['nodes']:,} nodes, {r['edges']:,} edges | {tl} | "
          f"{fmt_stat(r['ours'])} | {fmt_stat(r['ref'])} | **{r['ratio']:.2f}** ({r.get('ratio_min', float('nan')):.2f}) | "
          f"{r['fom_ours']:.4f} / {r['fom_ref']:.4f} | "
          f"{r['gflops_ours']:.1f} / {r['gflops_ref']:.1f} ({pk}) | "
          f"{r['mem_ours']['total_kib_per_node']:.1f} / {r['mem_ref']['total_kib_per_node']:.1f} |")
    r48 = R["train"]["n48"]
    if r48.get("skipped"):
        w("")
        w(f"48^3 was skipped: {r48['skipped']}")
    w("")
    bt = A.get("best_threads")
    if bt:
        rb = A["ref_by_threads"]
        ob = A["ours_by_threads"]
        hb = next(r for r in rows if r.get("kind") == "best")
        r2 = next(r for r in rows if r.get("kind") == "same" and r["threads"] == 2)
        other = 3 - bt["ref"]
        w(f"The reference is fastest here with {bt['ref']} thread{'s' if bt['ref'] > 1 else ''} at {n32}^3 "
          f"(median step {fmt_t(rb[str(bt['ref'])]['median'])} s, min {fmt_t(rb[str(bt['ref'])]['min'])} s; with "
          f"{other} thread{'s' if other > 1 else ''}: {fmt_t(rb[str(other)]['median'])} s, min {fmt_t(rb[str(other)]['min'])} s), "
          f"petscgnn with {bt['ours']} (median {fmt_t(ob[str(bt['ours'])]['median'])} s, min "
          f"{fmt_t(ob[str(bt['ours'])]['min'])} s). Each code at its best thread count, petscgnn's step is "
          f"**{hb['ratio']:.2f}x** as fast as the reference's (medians; {hb['ratio_min']:.2f}x by the minima)"
          + (f", against {r2['ratio']:.2f}x when both use 2 threads." if bt["ref"] != 2 else ".")
          + "".join(f" The {n48}^3 row runs each code at its best thread count of {n32}^3 (the reference is not timed at "
                    f"{n48}^3 with both counts: its step takes {fmt_t(r['ref']['median'])} s there)."
                    for r in rows if r["size"] == "n48"))
        w("")
    r0 = rows[0]
    w(f"Same model, same weights, same graph: the first-step losses agree "
      f"(petscgnn {r0['loss0_ours']:.8f}, reference {r0['loss0_ref']:.8f}). "
      f"FLOPs per step (MLP products only, 2 x in x out per row per Linear, x 3 for forward + backward): "
      f"{r0['gflop_step']:.1f} GFLOP at {round(r0['nodes'] ** (1 / 3))}^3, the reference model's count, used for both "
      "codes' GFLOP/s. petscgnn does fewer: it splits the first edge-MLP layer by input part (below), "
      f"{r0['gflop_step_ours']:.1f} GFLOP per step.")
    w("")
    w(f"![step time]({files['step']})")
    w("")
    w("## Machine peak")
    w("")
    w("| threads | LibTorch C++ mm 4096^2 fp32 | torch.mm (Python) | skinny [M x 32] x [32 x 32]: addmm / our forward kernel / LibTorch backward dW / dX / our fused backward | skinny [M x 96] x [96 x 32]: same |")
    w("|---|---|---|---|---|")
    for t in ("1", "2"):
        p = R["peak"][t]
        c = p["cpp"]
        w(f"| {t} | {c['mm_gflops']:.0f} GFLOP/s | {p['python']['mm_gflops']:.0f} GFLOP/s | "
          f"{c['skinny_torch_addmm_gflops_k32']:.0f} / {c['skinny_gnnlinear_elu_gflops_k32']:.0f} / "
          f"{c['skinny_backward_dW_gflops_k32']:.0f} / {c['skinny_backward_dx_gflops_k32']:.0f} / "
          f"{c.get('skinny_gnnlinear_backward_gflops_k32', float('nan')):.0f} | "
          f"{c['skinny_torch_addmm_gflops_k96']:.0f} / {c['skinny_gnnlinear_elu_gflops_k96']:.0f} / "
          f"{c['skinny_backward_dW_gflops_k96']:.0f} / {c['skinny_backward_dx_gflops_k96']:.0f} / "
          f"{c.get('skinny_gnnlinear_backward_gflops_k96', float('nan')):.0f} |")
    w("")
    c1, c2 = R["peak"]["1"]["cpp"], R["peak"]["2"]["cpp"]
    w(f"M = {int(c1['skinny_m']):,} rows (the edges of 32^3). \"Our forward kernel\" is the "
      "row-deterministic Linear+ELU of `src/nn/linear.cxx` (AVX-512 register tiles of 12 rows x 32 outputs, one "
      "fused multiply-add chain per output, the ELU applied in registers), timed alone: "
      f"{c1['skinny_gnnlinear_elu_gflops_k32']:.1f} GFLOP/s with 1 thread and {c2['skinny_gnnlinear_elu_gflops_k32']:.1f} "
      f"with 2 for K = 32 ({c1['skinny_gnnlinear_elu_gflops_k96']:.1f} / {c2['skinny_gnnlinear_elu_gflops_k96']:.1f} for K = 96), "
      f"against {c1['skinny_torch_addmm_gflops_k32']:.0f} / {c2['skinny_torch_addmm_gflops_k32']:.0f} for LibTorch's addmm. "
      "\"Our fused backward\" is the same file's one pass over the rows (ELU derivative, dX = g W, dW = g^T x, db), "
      "counted as the two products. "
      "The ELU derivative written as `g * where(y > 0, ones_like(y), y + 1)` (the first version of the backward) costs "
      f"{c1['elu_bwd_unfused_ns_per_elem']:.2f} ns per element on 1 thread against {c1['elu_bwd_torch_ns_per_elem']:.2f} "
      f"for LibTorch's one-pass `elu_backward` (plain multiply: {c1['elementwise_mul_ns_per_elem']:.2f}).")
    w("")
    hist_path = os.path.join(ROOT, "bench", "optimisation_history.json")
    if os.path.exists(hist_path):
        with open(hist_path) as f:
            hist = json.load(f)
        w("## What each change gave")
        w("")
        w(hist["about"])
        w("")
        w("| commit | change | step 1 thread [s] | step 2 threads [s] | kernel |")
        w("|---|---|---|---|---|")
        for c in hist["changes"]:
            w(f"| `{c['commit']}` | {c['change']} | {c['step_1t']:.2f} | {c['step_2t']:.2f} | {c['kernel']} |")
        w("")
    w("## Memory")
    w("")
    w("Peak resident memory (VmHWM, reset through `/proc/self/clear_refs` just before the first step, so reading "
      "files and building the mesh do not count) of the training steps, minus that of the same program on a "
      "4^3 graph, per node. \"Steps only\" is the growth over the resident memory before the first step "
      "(activations, gradients, optimiser state and allocator slack), per node. VmHWM of the same program moved "
      "between runs by up to 20 KiB per node here (how the C library reuses freed blocks and how the kernel "
      "counts resident pages), so the last column measures what the two codes hold: the peak during the steps of "
      "the live bytes in large aligned blocks (>= 64 KiB from `posix_memalign`: c10's CPU tensors, PETSc's large "
      "arrays), counted by `bench/livepeak.c`, preloaded (`LD_PRELOAD`) into both processes alike, per node. "
      "With petscgnn's tensor cache (`-gnn_tensor_cache`, on by default) the meter counts the blocks the cache holds, "
      "in use or kept for reuse, so its figure for petscgnn is an upper bound of the live tensors. "
      "petscgnn recomputes its edge encoder in backward instead of keeping its activations "
      "(`src/nn/recompute.cxx`): about 5 KiB per node for one more forward of that MLP per step. "
      "Why the cache: PETSc as Debian builds it loads SuperLU_DIST, whose load-time constructor calls "
      "`mallopt(M_MMAP_MAX, 0)` and `mallopt(M_TRIM_THRESHOLD, -1)`; glibc then serves every tensor from its heap, "
      "never returns freed memory, and the heap fragments (without the cache petscgnn's VmHWM was 1.5x its live "
      "tensors). The reference runs in Python without PETSc and is not affected.")
    w("")
    w("| graph | threads (petscgnn / reference) | petscgnn total / steps only [KiB/node] | reference total / steps only [KiB/node] | peak petscgnn / reference [GiB] | large tensor blocks held at the peak (petscgnn: in use or cached), petscgnn / reference [KiB/node] |")
    w("|---|---|---|---|---|---|")
    for r in rows:
        if r.get("kind") == "best" and r["size"] == "n32":
            continue  # the same processes as a row above
        mo, mr = r["mem_ours"], r["mem_ref"]
        w(f"| {round(r['nodes'] ** (1 / 3))}^3 | {r['threads']} | {mo['total_kib_per_node']:.1f} / {mo['steps_kib_per_node']:.1f} | "
          f"{mr['total_kib_per_node']:.1f} / {mr['steps_kib_per_node']:.1f} | {mo['hwm_gib']:.2f} / {mr['hwm_gib']:.2f} | "
          f"{mo['live_kib_per_node']:.1f} / {mr['live_kib_per_node']:.1f} ({mo['live_kib_per_node'] / mr['live_kib_per_node']:.2f}) |")
    w("")
    w("## Where petscgnn's step goes")
    w("")
    ph = A["phases"]
    w(f"PETSc log events of the timed steps (32^3, 1 rank x 2 threads; mean step {ph['step_mean']:.3f} s; read by "
      "the driver with `PetscLogEventGetPerfInfo` on a log stage of the timed steps, the numbers `-log_view` prints). The "
      "forward events are exclusive of each other; `GNNBackward` is the whole `backward()` (it contains "
      "`GNNHaloReverse`); \"rest\" is the step minus the events: loss, parameter copies and Adam.")
    w("")
    w("| phase | s per step | share |")
    w("|---|---|---|")
    for e in EVENTS:
        w(f"| {e} | {ph['events'][e]:.4f} | {100 * ph['events'][e] / ph['step_mean']:.1f}% |")
    w(f"| (GNNHaloReverse, inside GNNBackward) | {ph['events']['GNNHaloReverse']:.4f} | {100 * ph['events']['GNNHaloReverse'] / ph['step_mean']:.1f}% |")
    w(f"| rest (loss, Adam, copies) | {ph['rest']:.4f} | {100 * ph['rest'] / ph['step_mean']:.1f}% |")
    w("")
    w(f"![phases]({files['phases']})")
    w("")
    profs = A.get("profile") or {}
    if profs:
        ts = sorted(profs)
        w("Operators of one more step under LibTorch's profiler (`-bench_profile`, same run, 32^3; self times). "
          + "; ".join(f"{t} thread(s): {profs[t]['span_ms']:.0f} ms traced span, of which "
                      f"{profs[t]['span_ms'] - profs[t]['traced_ms']:.0f} ms outside any LibTorch operator (the forward "
                      f"Linear kernel and PETSc), backward {sum(profs[t]['backward'].values()):.0f} ms" for t in ts)
          + ". Backward by autograd node and operator:")
        w("")
        w("| backward node | operator | " + " | ".join(f"{t} thread(s): ms (share of backward)" for t in ts) + " |")
        w("|---|---|" + "---|" * len(ts))
        main = profs[ts[-1]]["backward"]
        for k, _ in sorted(main.items(), key=lambda kv: -kv[1])[:12]:
            a_, b_ = k.split("|")
            cells = []
            for t in ts:
                bt = profs[t]["backward"]
                v = bt.get(k, 0.0)
                cells.append(f"{v:.0f} ({100 * v / sum(bt.values()):.1f}%)")
            w(f"| {a_} | {b_} | " + " | ".join(cells) + " |")
        w("")
        for t in ts:
            fw = sorted(profs[t]["forward"].items(), key=lambda kv: -kv[1])
            w(f"Forward and optimiser operators, {t} thread(s) (self ms): " + ", ".join(f"{k} {v:.0f}" for k, v in fw[:8]) + ".")
            w("")
    for t, pr in sorted((A.get("profile_ref") or {}).items()):
        tops = sorted(((k, v) for k, v in pr.items() if not k.startswith(("autograd::engine", "Optimizer"))), key=lambda kv: -kv[1])[:10]
        w(f"The reference's step under `torch.autograd.profiler`, {t} thread(s) (self ms): " + ", ".join(f"{k} {v:.0f}" for k, v in tops) + ".")
        w("")
    w("## Strong and weak scaling on this machine")
    w("")
    sw = A["strong_weak"]
    w("| run | step [s] | |")
    w("|---|---|---|")
    n = R["train"]["n32"]["nodes3"][0]
    w(f"| {n}^3, 1 rank x 1 thread | {fmt_stat(sw['base_stats'])} | base |")
    w(f"| {n}^3, 1 rank x 2 threads | {fmt_stat(sw['threads_stats'])} | speed-up {sw['speedup_threads']:.2f} |")
    w(f"| {n}^3, 2 ranks x 1 thread (strong) | {fmt_stat(sw['strong_stats'])} | speed-up {sw['speedup_ranks']:.2f}, "
      f"i.e. {sw['ranks_vs_threads']:.2f}x the speed of 1 rank x 2 threads; halo events (forward + reverse) {sw['halo_2r']:.4f} s |")
    w(f"| {n}x{n}x{2 * n}, 2 ranks x 1 thread (weak) | {fmt_stat(sw['weak_stats'])} | weak efficiency {sw['weak_eff']:.2f} |")
    w("")
    w(f"Memory at 2 ranks x 1 thread, {n}^3: {sw['mem_2r_kib_per_node']:.1f} KiB per node (both processes, each "
      f"minus its 4^3 baseline).")
    w("")
    w("## Halo bytes per training step")
    w("")
    w("petscgnn sends only to neighbour ranks (`PetscSF`): per step ghosts x H x L values forward and the same "
      "backward. In float32 that is ghosts x H x 4 B x 2 x L; as implemented the reverse adds in float64 "
      "(PETSc 3.18's SF has no float reduce kernel), i.e. ghosts x H x L x (4 + 8) B. The paper's padded "
      "all_to_all sends to every other rank a buffer of the largest (receiver, sender) pair: "
      "P (P-1) x max_pair x H x 4 B x 2 x L, counted on the same partition.")
    w("")
    w("| graph | ranks | ghosts (all ranks) | max ghosts / neighbours of a rank | max pair | petscgnn fp32 | petscgnn as implemented | padded all_to_all | messages petscgnn / all_to_all | owned max/mean |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for tag, hs in (("training run", A["halo"]), (f"{R['partitions']['nodes3'][0]}^3 partitions", A["halo_partitions"])):
        for h in hs:
            n3 = round(h["nodes"] ** (1 / 3))
            m = round((h["nodes"] / 2) ** (1 / 3))
            gname = f"{n3}^3" if n3 ** 3 == h["nodes"] else f"{m}x{m}x{2 * m}" if 2 * m ** 3 == h["nodes"] else f"{h['nodes']:,} nodes"
            w(f"| {gname} ({tag}) | {h['ranks']} | {h['ghosts']:,} | {h['max_ghost']:,} / {h['max_neighbours']} | {h['max_pair']:,} | "
              f"{fmt_bytes(h['ours_fp32'])} | {fmt_bytes(h['ours_actual'])} | {fmt_bytes(h['a2a'])} | "
              f"{h['msgs_ours']:,} / {h['msgs_a2a']:,} | {h['imbalance']:.3f} |")
    w("")
    w(f"![halo]({files['halo']})")
    w("")
    w("## Scale beyond this machine (a model from the measurements)")
    w("")
    si = R["scaling_inputs"]
    w(f"`bench/scaling_model.py docs/benchmarks.json --bandwidth B --latency A [--t-node T]` re-runs it with other "
      "network parameters. Inputs measured here: compute time per node and step "
      f"t_node = {si['t_node'] * 1e6:.1f} us (petscgnn, 1 rank x 1 thread, 32^3; {si['t_node_2t'] * 1e6:.1f} us with 2 "
      f"threads), and from the real partitions of the {si['partition_nodes3'][0]}^3 lattice at 2..64 ranks "
      "(oversubscribed, only to count) the ghosts, neighbour ranks, largest pair and owned-node imbalance of the "
      "busiest rank. Model, at n = 1M nodes per rank (weak scaling to 8,192 ranks = 8.2e9 nodes):")
    w("")
    w("- compute t_node x n x imbalance; imbalance = 1 + (measured - 1)(n_measured / n)^(1/3) (vertex "
      "ownership on partition boundaries is a surface effect);")
    w("- halo: L forward exchanges (float32) and L reverse ones (float64, as implemented), each costing "
      "m x latency + bytes / bandwidth for the busiest rank, ghosts g = c(P) n^(2/3) with c(P) = measured max "
      "ghosts / mean owned^(2/3) (a partition of the box at P ranks is assumed self-similar in n; c and m of 64 "
      "ranks are used beyond 64);")
    w("- gradient all-reduce (float64, 2 log2 P latency + 2 (P-1)/P x 8 x params / bandwidth) and three small "
      "all-reduces per step;")
    w("- bulk-synchronous, no network contention, bandwidth per rank; efficiency = T(1 rank) / T(P ranks) at the same "
      "n. Without overlap every exchange adds to the step; with `-gnn_halo_overlap` (the default; the \"overlap\" "
      "columns) each exchange hides behind the work its layer does while it is in flight: forward "
      "max(0, exchange - w x the layer's forward compute), backward likewise, w = (k + 2) / ((NH + 2)(k + 1) + 2) = "
      f"{A['scaling']['overlap_window']:.3f} for k = 6 edges per node and NH = 5 hidden layers (the first edge layer "
      "and the per-node products, counted in row products; see bench/scaling_model.py). The measured overlap on this "
      "machine is in the Halo overlap section below.")
    w("- \"GPU-class\" is the compute rate of the reference model on one NVIDIA H200 (0.28 s per step at 885k "
      "nodes, `../shared/docs/seed-method.md`), not measured here: it shows where communication starts to matter.")
    w("- The padded all_to_all column sends (P-1) x max_pair rows per rank per exchange (float32, both ways).")
    w("")
    preds = dict(A["scaling"]["pred"])
    preds.update(A["scaling"].get("pred_overlap", {}))
    keys = list(preds)
    w("| ranks | nodes | " + " | ".join(k.replace("|", ", ") for k in keys) + " | all_to_all, GPU-class, HPC net | halo per rank per step (petscgnn / all_to_all) |")
    w("|---|---|" + "---|" * len(keys) + "---|---|")
    first = preds[keys[0]]
    a2a_rows = preds[f"{A['scaling']['rates'][1][0]}|{A['scaling']['nets'][0][0]}"]
    for i, r in enumerate(first):
        w(f"| {r['ranks']} | {r['nodes']:.3g} | " + " | ".join(f"{preds[k][i]['efficiency']:.3f}" for k in keys) +
          f" | {a2a_rows[i]['efficiency_all_to_all']:.3g} | {fmt_bytes(r['halo_bytes'])} / {fmt_bytes(r['all_to_all_bytes'])} |")
    w("")
    w("Networks: " + "; ".join(f"{n}: {bw / 1e9:g} GB/s, {lat * 1e6:g} us" for n, bw, lat in A["scaling"]["nets"]) + ".")
    w("")
    w(f"![scaling model]({files['scaling']})")
    w("")
    C = A["consistency"]
    runs = C["runs"]
    w("## Consistency study (Taylor-Green, the paper's question)")
    w("")
    w(f"2-D box [0, 2pi]^2 with {C['faces'].replace(',', ' x ')} quadrilaterals (vertex graph), the reference architecture in float32, "
      f"built-in Taylor-Green task (8 pairs u(k dt) -> u((k+1) dt), dt = 0.25, nu = 0.1), {C['steps']} Adam steps, "
      "learning rate 1e-3 with cosine decay, normalisation (`build/examples/ex2`); forward outputs of the initial "
      "model from `build/examples/ex1`. `-gnn_halo_type sf` is petscgnn's consistent halo, `none` drops every "
      "cross-rank edge (the paper's inconsistent baseline). The test error is the relative L2 error of a rollout "
      "from u(0) against the exact solution: after one step, and after 12 steps (t = 3, beyond the training "
      "window t <= 2).")
    w("")
    w("| ranks | halo | forward vs 1 rank (initial model) | bitwise | final training loss (mean of the last 8 steps) | rollout error 1 step | rollout error 12 steps | trained model used on 1 rank: 1-step error |")
    w("|---|---|---|---|---|---|---|---|")
    for k in sorted(runs, key=lambda k: (runs[k]["ranks"], runs[k]["halo"] != "sf")):
        d = runs[k]
        w(f"| {d['ranks']} | {d['halo']} | {d['forward_rel_diff']:.2e} | {'yes' if d['forward_bitwise'] else 'no'} | "
          f"{floss(d):.4e} | {d['rollout_error'][0]:.4e} | {d['rollout_error'][-1]:.4e} | "
          f"{d['one_step_error_on_1_rank']:.4e} |")
    w("")
    sf = [runs[k] for k in runs if runs[k]["halo"] == "sf"]
    no = [runs[k] for k in runs if runs[k]["halo"] == "none"]
    base = runs["1_sf"]
    sf_loss_dev = max(abs(floss(d) - floss(base)) / floss(base) for d in sf)
    worst = max(no, key=lambda d: d["forward_rel_diff"]) if no else None
    if worst:
        n8 = runs["8_none"]

        def rel(a, b):
            return f"{a / b:.3g}x"
        w(f"With the consistent halo the forward outputs at 2, 4 and 8 ranks are "
          f"{'bitwise identical to' if all(d['forward_bitwise'] for d in sf) else 'within rounding of'} the 1-rank "
          f"model's, and training follows the 1-rank run (final loss within {100 * sf_loss_dev:.2g}% of it: float32 "
          f"gradients agree to rounding, not bitwise). Without the halo the network is a different function on every "
          f"rank count: the initial model's outputs already differ by up to {worst['forward_rel_diff']:.2g} "
          f"(relative, {worst['ranks']} ranks), since every node next to a cut loses neighbours in each of the L = 4 "
          f"layers. After training on 8 ranks without halo, the training loss is {rel(floss(n8), floss(base))}, "
          f"the one-step error {rel(n8['rollout_error'][0], base['rollout_error'][0])} and the 12-step rollout error "
          f"{rel(n8['rollout_error'][-1], base['rollout_error'][-1])} those of the consistent model. "
          + ("Training adapts the weights to the cuts, so the inconsistent model is tied to its partition: "
             if abs(n8["one_step_error_on_1_rank"] / n8["rollout_error"][0] - 1) > 0.05 else
             "Here the inconsistent weights still transfer to the whole graph: ")
          + f"used on one rank they give a one-step error of {n8['one_step_error_on_1_rank']:.3g}, against "
          f"{n8['rollout_error'][0]:.3g} on the 8 ranks they were trained on, while every consistent model gives "
          f"{base['one_step_error_on_1_rank']:.3g} on any rank count. The cost of consistency is the halo exchange: "
          f"{100 * (A['strong_weak']['halo_2r'] / A['strong_weak']['2r1t']):.2g}% of the 2-rank step at 32^3 above.")
    w("")
    w(f"![consistency]({files['consistency']})")
    w("")
    observations(R, A, w)
    if "scale" in A:
        scale_section.report(R["scale"], A["scale"], w, M["cores"])
    if "levers" in A:
        levers_section.report(R["levers"], A["levers"], w)
    if "overlap" in A:
        overlap_section.report(R["overlap"], A["overlap"], w, R["machine"]["cores"])
    if "repro" in A:
        repro_section.report(R["repro"], A["repro"], w)
    w("## GPU")
    w("")
    w("`make bench` measures the CPU. GPU figures (step time and device memory against the PyTorch reference on the "
      "same GPU) come from `share/gpu/check.sh` on the GPU machine and are recorded by date and machine in "
      "[gpu.md](gpu.md).")
    w("")
    w("## Reproduce")
    w("")
    w(f"`make bench` (this run: {R.get('elapsed_s', 0) / 60:.0f} minutes on this machine; `BUILD=dir` picks the build folder; "
      "`bench/run_bench.py --quick` checks the pipeline on small graphs in a few minutes, `--from-json FILE` "
      "rewrites the report from a run's JSON). Single runs: "
      "`mpiexec -n P build/bench/bench -bench_mode train|partition|peak -dm_plex_dim 3 -dm_plex_simplex 0 "
      "-dm_plex_box_faces 31,31,31 -gnn_threads T -bench_warmup 2 -bench_reps R [-bench_export PREFIX] [-bench_profile F] "
      "[-log_view]`, and `/usr/bin/python3 bench/reference.py train PREFIX --threads T`.")
    w("")
    with open(os.path.join(docs, "benchmarks.md"), "w") as f:
        f.write("\n".join(L_))
    return L_


def observations(R, A, w):
    """What the numbers of this run say about the step (conditional text: it holds for any run)."""
    c1, c2 = R["peak"]["1"]["cpp"], R["peak"]["2"]["cpp"]
    ph, sw = A["phases"], A["strong_weak"]
    fwd = sum(ph["events"][e] for e in ("GNNEncode", "GNNEdgeMLP", "GNNNodeMLP", "GNNDecode", "GNNAggregate", "GNNHaloExchange"))
    w("## Observations from this run")
    w("")
    w(f"- Forward and backward: the forward events take {100 * fwd / ph['step_mean']:.0f}% of the 32^3 step, "
      f"`GNNBackward` {100 * ph['events']['GNNBackward'] / ph['step_mean']:.0f}%; halo, aggregation, gradient all-reduce "
      f"and the optimiser together less than {max(1, round(100 * (ph['events']['GNNHaloExchange'] + ph['events']['GNNAggregate'] + ph['events']['GNNGradReduce'] + max(ph['rest'], 0)) / ph['step_mean']) + 1)}%.")
    k1, k2 = c1["skinny_gnnlinear_elu_gflops_k32"], c2["skinny_gnnlinear_elu_gflops_k32"]
    if k2 < 1.3 * k1:
        w(f"- The forward Linear kernel does not use the second thread ({k1:.1f} GFLOP/s on 1 thread, {k2:.1f} on 2): "
          "its `at::parallel_for` is an inline OpenMP loop that runs serially in a translation unit compiled without "
          "`-fopenmp` (src/nn/linear.cxx, src/nn/aggregate.cxx), so `-gnn_threads` only reaches LibTorch's own operators.")
    else:
        w(f"- The forward Linear kernel uses the threads: {k1:.1f} GFLOP/s on 1 thread, {k2:.1f} on 2.")
    w(f"- Per thread the forward kernel reaches {k1:.1f} GFLOP/s for K = 32 against {c1['skinny_torch_addmm_gflops_k32']:.0f} "
      f"for LibTorch's addmm and {c1['mm_gflops']:.0f} for a large product on this core; the fused backward "
      f"{c1.get('skinny_gnnlinear_backward_gflops_k32', float('nan')):.1f} against LibTorch's separate products "
      f"{c1['skinny_backward_dW_gflops_k32']:.0f} (dW) and {c1['skinny_backward_dx_gflops_k32']:.0f} (dX).")
    profs = A.get("profile") or {}
    if profs:
        t = sorted(profs)[-1]
        bt = profs[t]["backward"]
        tot = sum(bt.values())
        top = sorted(bt.items(), key=lambda kv: -kv[1])[:3]
        w(f"- Backward ({t} thread(s), profiled step), the largest self times: "
          + ", ".join(f"{k.replace('|', ' / ')} {100 * v / tot:.0f}%" for k, v in top)
          + " (a `CppNode` row is the self time of petscgnn's own backward kernels).")
    if sw["speedup_ranks"] > 1.2 * sw["speedup_threads"]:
        w(f"- On this machine ranks beat threads: 2 ranks x 1 thread run the 32^3 step {sw['ranks_vs_threads']:.2f}x as "
          f"fast as 1 rank x 2 threads (speed-up over 1 x 1: {sw['speedup_ranks']:.2f} with ranks, "
          f"{sw['speedup_threads']:.2f} with threads).")
    w("")


def print_table(R, A):
    print("\n==== petscgnn training step vs PyTorch reference (H=32, 5 hidden, L=4, fp32, 3-D lattice) ====")
    print(f"{'graph':>8} {'thr':>5} {'ours [s]':>22} {'ref [s]':>22} {'ref/ours':>8} {'GF/s ours':>9} {'ref':>6} {'peak':>6} {'KiB/node ours':>13} {'ref':>6} {'live ours':>9} {'ref':>6}")
    for r in A["rows"]:
        print(f"{round(r['nodes'] ** (1 / 3)):>6}^3 {str(r['threads']):>5} {fmt_stat(r['ours']):>22} {fmt_stat(r['ref']):>22} "
              f"{r['ratio']:8.2f} {r['gflops_ours']:9.1f} {r['gflops_ref']:6.1f} {A['peak_gflops'][str(r['threads_ours'])]:6.0f} "
              f"{r['mem_ours']['total_kib_per_node']:13.1f} {r['mem_ref']['total_kib_per_node']:6.1f} "
              f"{r['mem_ours']['live_kib_per_node']:9.1f} {r['mem_ref']['live_kib_per_node']:6.1f}")
    ph = A["phases"]
    print("phases (32^3, 1r x 2t): " + ", ".join(f"{e.replace('GNN', '')} {100 * ph['events'][e] / ph['step_mean']:.1f}%" for e in EVENTS)
          + f", rest {100 * ph['rest'] / ph['step_mean']:.1f}%")
    sw = A["strong_weak"]
    print(f"strong 32^3: 1r1t {sw['1r1t']:.3f} s, 1r2t {sw['1r2t']:.3f} s, 2r1t {sw['2r1t']:.3f} s; "
          f"weak 2r1t on 2x nodes {sw['weak_2r1t']:.3f} s (efficiency {sw['weak_eff']:.2f})")
    for h in A["halo"][:1] + A["halo_partitions"]:
        print(f"halo/step {h['ranks']:>2} ranks ({h['nodes']} nodes): ours {fmt_bytes(h['ours_fp32'])} fp32 "
              f"({fmt_bytes(h['ours_actual'])} as implemented), padded all_to_all {fmt_bytes(h['a2a'])}")
    print(f"wrote {os.path.join(R['_docs'], 'benchmarks.md')}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--docs", default=os.path.join(ROOT, "docs"))
    p.add_argument("--quick", action="store_true", help="small sizes: checks the pipeline only")
    p.add_argument("--from-json", help="skip the measurements: redo analysis, plots and report from this file")
    p.add_argument("--only", choices=["scale", "levers", "overlap", "repro"], help="measure this section only; the others are taken from "
                   "DOCS/benchmarks.json (the last full run), then the report is rewritten")
    a = p.parse_args()
    a.build, a.docs = os.path.abspath(a.build), os.path.abspath(a.docs)
    os.makedirs(a.docs, exist_ok=True)
    if a.from_json:
        with open(a.from_json) as f:
            R = json.load(f)
    elif a.only:
        with open(os.path.join(a.docs, "benchmarks.json")) as f:
            R = json.load(f)
        b = Bench(a)
        b.R = R
        getattr(b, a.only)()
        R[f"{a.only}_started"] = T_START
        R = json.loads(json.dumps(R))
    else:
        b = Bench(a)
        b.machine()
        b.peak()
        b.training()
        b.partitions()
        b.consistency()
        b.scale()
        b.levers()
        b.overlap()
        b.repro()
        R = b.R
        R["machine"]["loadavg_end"] = os.getloadavg()
        R["elapsed_s"] = time.time() - T_START
        R["started"] = T_START
        R = json.loads(json.dumps(R))  # keys as in the file (str)
    R["_work"] = os.path.join(a.build, "bench-work")
    R["_docs"] = a.docs
    A = analyse(R)
    files = plots(R, A, a.docs)
    report(R, A, files, a.docs)
    out = {k: v for k, v in R.items() if not k.startswith("_")}
    with open(os.path.join(a.docs, "benchmarks.json"), "w") as f:
        json.dump(out, f, indent=1)
    print_table(R, A)
    bt = A["best_threads"]
    hb = next(r for r in A["rows"] if r.get("kind") == "best")
    print(f"each code at its best thread count (petscgnn {bt['ours']}, reference {bt['ref']}): reference / petscgnn "
          f"{hb['ratio']:.2f} (medians), {hb['ratio_min']:.2f} (minima)")
    log("done")


if __name__ == "__main__":
    main()
