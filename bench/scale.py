"""The "scale" section of make bench (issue 12): per-rank peak memory by phase on a large graph, and
the set-up time (graph + natural order) against the node count, at a fixed rank count and at a fixed
node count per rank. Numbers, never asserts. Driven by bench/run_bench.py (Bench.scale), from
`bench -bench_mode scale` (bench/bench.cxx): every phase starts on every rank at once with the peak
resident memory reset (/proc/self/clear_refs), and reports the slowest rank's time, every rank's
VmHWM (the phase's peak), VmRSS at its end and CPU time.
"""

import os
import statistics
import subprocess
import time

# The large run: 8 ranks, the vertex graph of a 3-D hex box, a small model (the reference
# configuration, H = 32 with 5 hidden layers and L = 4, holds ~36 KiB per node in training: 2M nodes
# would need ~70 GiB, this machine has 24), float32, 5 Adam steps. The box is 16 x 16 x 15 cells
# refined 3 times after distribution (-dm_refine 3: 128 x 128 x 120 cells, 129 x 129 x 121 =
# 2,013,561 nodes, a little under 129^3 so that the 8 ranks stay under ~12 GiB together with the
# view phase on this shared machine), so that no rank builds the whole mesh; PETSc's box generator alone (-dm_plex_box_faces n without refinement) builds
# it on rank 0 and distributes it: the second run shows what that costs rank 0 (1M nodes, set-up only).
MEM_RANKS = 8
MEM_MESH = ((16, 16, 15), 3)  # (cells, refinements): 129 x 129 x 121 nodes
MEM_SERIAL_MESH = ((99, 99, 99), 0)  # 100^3 nodes, built on rank 0
MEM_MODEL = ["-gnn_hidden", "8", "-gnn_mlp_hidden_layers", "1", "-gnn_layers", "2", "-gnn_precision", "float32"]
MEM_STEPS = 5
# set-up time against the node count at a fixed rank count (one rank per core: no oversubscription),
# boxes refined in parallel: (cells, refinements) -> (cells * 2^refinements + 1)^3 nodes
SETUP_RANKS = 2
SETUP_MESHES = [((8, 8, 8), 1), ((12, 12, 12), 1), ((8, 8, 8), 2), ((12, 12, 12), 2), ((8, 8, 8), 3),
                ((12, 12, 12), 3), ((16, 16, 16), 3)]
# set-up time at a fixed node count per rank: 8 x 8 x 8P cells refined twice (33 x 33 x (32P + 1)
# nodes) on P ranks
WEAK_RANKS = (1, 2, 4, 8, 16)
PHASES = ["mesh", "graph", "natural", "model", "data_write", "data_load", "train", "output", "view"]
PHASE_TEXT = {
    "mesh": "mesh: DMPlex box created and distributed (`DMSetFromOptions`)",
    "graph": "graph: `GNNGraphSetUp` (adjacency, ghosts, halo SF, CSR in natural sender order)",
    "natural": "natural order: `GNNGraphGetNaturalIndices` (parallel sample sort of the coordinates: each rank sorts one bucket of about N/P keys; the SF to the natural layout)",
    "model": "model: `GNNSetUp` (weights, tensors of the graph)",
    "data_write": "data write: the Taylor-Green pair, `GNNGraphSaveNaturalVec` x 2",
    "data_load": "data loading: `GNNGraphLoadNaturalVec` x 2 (PETSc binary files in natural order)",
    "train": "training: trainer set-up and 5 `GNNTrainerStep`s",
    "output": "output: `GNNApply` and `GNNGraphSaveNaturalVec` of the prediction",
    "view": "view: `GNNGraphWriteNodeFields` `xdmf+edges:` (XDMF + HDF5 written by every rank: coordinates, input and prediction, the edges in the natural edge order and their features)",
}


def box(mesh):
    faces, refine = mesh
    return ["-dm_plex_dim", "3", "-dm_plex_simplex", "0", "-dm_plex_box_faces", ",".join(str(k) for k in faces)] + \
        (["-dm_refine", str(refine)] if refine else [])


def mesh_text(mesh):
    faces, refine = mesh
    c = "x".join(str(k) for k in faces)
    return f"{c} cells refined {refine}x in parallel" if refine else f"{c} cells built on rank 0"


QUIET_S = 10  # the set-up runs wait at most this long for idle CPUs (run_bench.py waits 30 s)


def measure(b, run_json, log):
    """Runs the three measurements with the Bench b; returns the dict stored as R["scale"]."""
    q = b.a.quick
    exe = b.exe
    W = b.work
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    git = subprocess.run(["git", "log", "-1", "--format=%h %s"], capture_output=True, text=True, cwd=root).stdout.strip()
    S = {"mem_ranks": MEM_RANKS, "model": MEM_MODEL, "steps": MEM_STEPS, "started": time.time(), "commit": git}
    mesh = (((8, 8, 8), 1) if q else MEM_MESH)
    cmd = b.mpi(MEM_RANKS) + [exe, "-bench_mode", "scale", "-bench_reps", str(MEM_STEPS), "-bench_scale_files",
                              f"{W}/scale"] + box(mesh) + MEM_MODEL
    S["memory"] = run_json(cmd, 1, timeout=1800, what=f"scale memory {mesh} on {MEM_RANKS} ranks")
    S["memory"]["mesh"] = mesh
    mesh = (((24, 24, 24), 0) if q else MEM_SERIAL_MESH)
    cmd = b.mpi(MEM_RANKS) + [exe, "-bench_mode", "scale", "-bench_scale_stop", "natural"] + box(mesh)
    S["memory_serial_mesh"] = run_json(cmd, 1, timeout=1800, what=f"scale set-up {mesh} on {MEM_RANKS} ranks")
    S["memory_serial_mesh"]["mesh"] = mesh
    setup = []
    for mesh in (SETUP_MESHES[:3] if q else SETUP_MESHES):
        cmd = b.mpi(SETUP_RANKS) + [exe, "-bench_mode", "scale", "-bench_scale_stop", "natural"] + box(mesh)
        d = run_json(cmd, 1, timeout=1200, what=f"scale set-up {mesh} on {SETUP_RANKS} ranks",
                     quiet=QUIET_S)
        d["mesh"] = mesh
        setup.append(d)
    S["setup_by_nodes"] = {"ranks": SETUP_RANKS, "runs": setup}
    weak = []
    for P in ((1, 2, 4) if q else WEAK_RANKS):
        mesh = ((8, 8, 8 * P), 1 if q else 2)
        cmd = b.mpi(P) + [exe, "-bench_mode", "scale", "-bench_scale_stop", "natural"] + box(mesh)
        d = run_json(cmd, 1, timeout=1200, what=f"scale set-up {mesh} on {P} ranks", quiet=QUIET_S)
        d["mesh"] = mesh
        weak.append(d)
    S["setup_weak"] = {"runs": weak}
    log("scale: done")
    return S


def phase(d, name):
    for p in d["phases"]:
        if p["name"] == name:
            return p
    return None


def mem_row(p, prev_rss):
    """One phase: peaks over the ranks; growth = the phase's peak over the rank's resident memory at its start."""
    h = p["hwm_kb"]
    mean = statistics.mean(h)
    others = statistics.mean(h[1:]) if len(h) > 1 else h[0]
    g = [h[r] - prev_rss[r] for r in range(len(h))]
    g_others = statistics.mean(g[1:]) if len(g) > 1 else g[0]
    return {"name": p["name"], "time": p["time_max"], "cpu_max": max(p.get("cpu_s", [0])),
            "rank0_mib": h[0] / 1024, "max_mib": max(h) / 1024, "mean_mib": mean / 1024,
            "min_mib": min(h) / 1024, "max_over_mean": max(h) / mean, "rank0_over_others": h[0] / others,
            "argmax": h.index(max(h)), "sum_gib": sum(h) / 2 ** 20,
            "growth_rank0_mib": g[0] / 1024, "growth_others_mib": g_others / 1024}


def mem_rows(d):
    rows, prev = [], d["start_rss_kb"]
    for p in d["phases"]:
        rows.append(mem_row(p, prev))
        prev = p["rss_kb"]
    R = d["ranks"]
    whole = mem_row({"name": "all", "time_max": sum(p["time_max"] for p in d["phases"]),
                     "hwm_kb": [max(p["hwm_kb"][r] for p in d["phases"]) for r in range(R)]}, d["start_rss_kb"])
    return rows, whole


def analyse(S):
    A = {}
    A["mem"], A["overall"] = mem_rows(S["memory"])
    A["serial"], A["serial_overall"] = mem_rows(S["memory_serial_mesh"])

    def setup_row(d):
        t = {k: phase(d, k) for k in ("mesh", "graph", "natural")}
        oth = lambda v: statistics.mean(v[1:]) / 1024 if len(v) > 1 else None
        return {"nodes": d["nodes"], "ranks": d["ranks"], "mesh_spec": d["mesh"], "mesh": t["mesh"]["time_max"],
                "graph": t["graph"]["time_max"], "natural": t["natural"]["time_max"],
                "natural_cpu_rank0": t["natural"]["cpu_s"][0], "graph_cpu_max": max(t["graph"]["cpu_s"]),
                "natural_hwm_rank0_mib": t["natural"]["hwm_kb"][0] / 1024,
                "natural_hwm_others_mib": oth(t["natural"]["hwm_kb"]),
                "natural_growth_rank0_mib": (t["natural"]["hwm_kb"][0] - t["graph"]["rss_kb"][0]) / 1024}
    A["setup_by_nodes"] = [setup_row(x) for x in S["setup_by_nodes"]["runs"]]
    A["setup_weak"] = [setup_row(x) for x in S["setup_weak"]["runs"]]
    return A


def mem_table(w, rows, whole):
    w("| phase | time [s] | VmHWM rank 0 [MiB] | max rank [MiB] (which) | mean [MiB] | min [MiB] | max / mean | rank 0 / mean of the others | growth in the phase, rank 0 / mean of the others [MiB] |")
    w("|---|---|---|---|---|---|---|---|---|")
    for r in rows + [whole]:
        nm = "**whole run** (each rank's highest phase peak)" if r["name"] == "all" else r["name"]
        w(f"| {nm} | {r['time']:.1f} | {r['rank0_mib']:.0f} | {r['max_mib']:.0f} ({r['argmax']}) | {r['mean_mib']:.0f} | "
          f"{r['min_mib']:.0f} | {r['max_over_mean']:.2f} | {r['rank0_over_others']:.2f} | "
          f"{r['growth_rank0_mib']:.0f} / {r['growth_others_mib']:.0f} |")
    w("")


def report(S, A, w, cores):
    d = S["memory"]
    w("## Scale: per-rank memory and set-up time (issue 12)")
    w("")
    w(f"Measured {time.strftime('%Y-%m-%d %H:%M', time.localtime(S['started']))} at commit `{S['commit'][:7]}` "
      "(`bench/run_bench.py --only scale` measures this section alone). "
      "`bench -bench_mode scale` (bench/bench.cxx; `-bench_phase_view` prints a table like the ones below for one "
      "run): every phase starts on every rank at once with the peak resident memory reset through "
      "`/proc/self/clear_refs`, so a phase's VmHWM is that rank's peak during the phase, the memory resident at its "
      "start included ('growth' subtracts that); its time is the slowest rank's, wall clock. "
      f"{S['mem_ranks']} ranks x 1 thread on this {cores}-core machine (oversubscribed {S['mem_ranks'] // cores}x: "
      "the times are those of the whole job sharing the cores, not of one rank with its own core). "
      "Freed memory is not given back to the system in these processes (Debian's SuperLU_DIST, loaded with PETSc, "
      "turns off glibc's trim and mmap; see Memory above), so a rank's resident memory never falls and a phase "
      "can reuse what an earlier one freed without raising its peak.")
    runs = [S["memory"], S["memory_serial_mesh"]] + S["setup_by_nodes"]["runs"] + S["setup_weak"]["runs"]
    busy = [r.get("busy_before", 0) for r in runs]
    w("")
    w(f"Other processes on the machine: the CPUs were {100 * statistics.median(busy):.0f}% busy (median; max "
      f"{100 * max(busy):.0f}%) in the half second before each of these {len(runs)} runs, so their times are upper "
      "bounds; the memory figures do not depend on it.")
    w("")
    w(f"**Large run**: the vertex graph of a 3-D hex box, {mesh_text(d['mesh'])} (`-dm_refine`), "
      f"{d['nodes']:,} nodes, {d['edges']:,} directed edges; a small model "
      f"(`{' '.join(S['model'])}`, {int(d['params']):,} parameters; the reference configuration holds ~36 KiB per "
      f"node in training, 2M nodes would need ~70 GiB); {S['steps']} Adam steps. Owned nodes per rank: "
      f"{min(d['owned']):,} to {max(d['owned']):,}. Resident at the start (PETSc, MPI and LibTorch loaded): "
      f"{statistics.mean(d['start_rss_kb']) / 1024:.0f} MiB per rank. Phases:")
    w("")
    for k in PHASES:
        if any(r["name"] == k for r in A["mem"]):
            w(f"- {PHASE_TEXT[k]}")
    w("")
    mem_table(w, A["mem"], A["overall"])
    o = A["overall"]
    w(f"Whole run: the heaviest rank peaks at {o['max_mib']:.0f} MiB, {o['max_over_mean']:.2f}x the mean "
      f"(issue 12's target: <= 1.25); rank 0 at {o['rank0_mib']:.0f} MiB, {o['rank0_over_others']:.2f}x the mean of "
      "the others (target: <= 1).")
    heavy = [f"{r['name']} {r['growth_rank0_mib']:.0f} vs {r['growth_others_mib']:.0f} MiB" for r in A["mem"]
             if r["growth_rank0_mib"] > 1.1 * r["growth_others_mib"] + 8]
    w("Phases in which rank 0 grows more than the others (rank 0 vs their mean): " + (", ".join(heavy) if heavy else "none") + ".")
    v = next((r for r in A["mem"] if r["name"] == "view"), None)
    if v:
        w(f"The view phase writes the nodes, the two fields and all {d['edges']:,} edges with their features "
          f"(XDMF + HDF5, every rank its block): rank 0 grows {v['growth_rank0_mib']:.0f} MiB, the others "
          f"{v['growth_others_mib']:.0f} MiB on average; before the edges were written in parallel, the edge file "
          f"gathered every edge on rank 0 and sorted them there: {16 * d['edges'] / 2 ** 20:.0f} MiB of index pairs "
          "(8 bytes per edge gathered, 8 more for the sorted copy; counted, not measured).")
    w("")
    ds = S["memory_serial_mesh"]
    w(f"**The mesh built on rank 0** (PETSc's box generator without refinement, as the tests and the training "
      f"benchmark above build theirs): {mesh_text(ds['mesh'])}, {ds['nodes']:,} nodes, {S['mem_ranks']} ranks, set-up only:")
    w("")
    mem_table(w, A["serial"], A["serial_overall"])
    w(f"Set-up time against the node count on {S['setup_by_nodes']['ranks']} ranks (one per core), boxes refined in "
      "parallel; mesh = box creation, distribution and refinement, graph = `GNNGraphSetUp`, natural = "
      "`GNNGraphGetNaturalIndices`; wall times of the slowest rank; CPU = the process's CPU time:")
    w("")
    w("| nodes | mesh [s] | graph [s] | natural order [s] | natural: rank 0 CPU [s] | natural-order peak rank 0 / others [MiB] | natural order: rank 0 growth [MiB] | graph per node [us] | natural per node [us] |")
    w("|---|---|---|---|---|---|---|---|---|")
    for r in A["setup_by_nodes"]:
        oth = f"{r['natural_hwm_others_mib']:.0f}" if r["natural_hwm_others_mib"] is not None else "-"
        w(f"| {r['nodes']:,} | {r['mesh']:.2f} | {r['graph']:.2f} | {r['natural']:.3f} | {r['natural_cpu_rank0']:.3f} | "
          f"{r['natural_hwm_rank0_mib']:.0f} / {oth} | {r['natural_growth_rank0_mib']:.0f} | "
          f"{1e6 * r['graph'] / r['nodes']:.2f} | {1e6 * r['natural'] / r['nodes']:.3f} |")
    w("")
    w(f"Set-up time at a fixed node count per rank ({mesh_text(S['setup_weak']['runs'][0]['mesh'])} on 1 rank, "
      f"8P cells along z on P ranks: {S['setup_weak']['runs'][0]['nodes']:,} nodes and about as many more per rank). Above {cores} ranks the ranks share the {cores} cores, so a wall time includes the waits for a core: "
      f"'per core' divides it by P / {cores}, a rank's time with a core of its own if the cores were shared "
      "perfectly.")
    w("")
    w("| ranks | nodes | mesh [s] | graph [s] | natural order [s] | graph per core [s] | natural per core [s] | natural: rank 0 CPU [s] | natural: rank 0 growth [MiB] |")
    w("|---|---|---|---|---|---|---|---|---|")
    for r in A["setup_weak"]:
        f = max(1.0, r["ranks"] / cores)
        w(f"| {r['ranks']} | {r['nodes']:,} | {r['mesh']:.2f} | {r['graph']:.2f} | {r['natural']:.3f} | "
          f"{r['graph'] / f:.2f} | {r['natural'] / f:.3f} | {r['natural_cpu_rank0']:.3f} | {r['natural_growth_rank0_mib']:.0f} |")
    w("")
