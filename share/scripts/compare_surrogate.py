#!/usr/bin/env python3
"""Solver vs GNN surrogate (-ts_type gnn) on the same unmodified PETSc program.

Reads the states that `-ts_monitor_solution binary:FILE` wrote in a solver run and in surrogate
runs (PETSc binary Vecs, one after the other; a DMDA Vec is written in natural order), pairs
surrogate state j with solver state j*k (one GNN step stands for k solver steps) and reports the
relative L2 error of each against the solver, next to the persistence error (the initial state
kept: "nothing changes"). --check fails unless every surrogate ends closer to the solver than
persistence does; --same A B fails unless two surrogate runs (e.g. 1 and 2 ranks) agree to 1e-12;
--png draws the solver's and the surrogate's final field, their difference and the errors in time.

Usage: compare_surrogate.py SOLVER.bin --every k NAME=SURROGATE.bin ... [--check] [--same A B]
       [--png FILE --grid Mx,My --dof d --title T]
"""
import argparse
import sys

import numpy as np

VEC_FILE_CLASSID = 1211214


def read_vecs(path):
    """All Vecs of a PETSc binary file (big-endian int32 header, float64 values)"""
    data, off, vecs = open(path, "rb").read(), 0, []
    while off < len(data):
        cid, n = np.frombuffer(data, ">i4", 2, off)
        if cid != VEC_FILE_CLASSID:
            sys.exit(f"{path}: not a PETSc binary Vec at byte {off} (class id {cid})")
        off += 8
        vecs.append(np.frombuffer(data, ">f8", n, off).astype(float))
        off += 8 * n
    if not vecs:
        sys.exit(f"{path}: no Vec")
    return np.array(vecs)


def rel(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("solver")
    ap.add_argument("runs", nargs="+", help="NAME=FILE: a surrogate run's states")
    ap.add_argument("--every", type=int, required=True, help="solver steps per GNN step (-gnn_ts_every)")
    ap.add_argument("--check", action="store_true", help="fail unless each run's final error < persistence error")
    ap.add_argument("--same", nargs=2, metavar=("A", "B"), help="fail unless runs A and B agree to 1e-12")
    ap.add_argument("--png")
    ap.add_argument("--grid", help="Mx,My of a 2-D DMDA (for the field plots)")
    ap.add_argument("--dof", type=int, default=1)
    ap.add_argument("--title", default="solver vs GNN surrogate")
    a = ap.parse_args()

    sol = read_vecs(a.solver)
    runs = {}
    for r in a.runs:
        name, path = r.split("=", 1)
        runs[name] = read_vecs(path)
    ok = True
    curves = {}
    for name, s in runs.items():
        n = min(len(s), (len(sol) - 1) // a.every + 1)
        ref = sol[: n * a.every : a.every]
        err = [rel(s[j], ref[j]) for j in range(n)]
        pers = [rel(sol[0], ref[j]) for j in range(n)]
        curves[name] = (np.arange(n) * a.every, err, pers)
        print(f"  {name}: {len(s) - 1} GNN steps; final state vs the solver's (step {(n - 1) * a.every}): "
              f"relative L2 error {err[-1]:.3e}, persistence (initial state kept) {pers[-1]:.3e}, "
              f"ratio {err[-1] / pers[-1]:.3f}")
        if len(s) != n or n < 2:
            print(f"  {name}: {len(s)} states for a solver run of {len(sol)} (expected {n} >= 2)")
            ok = False
        if a.check and not err[-1] < pers[-1]:
            print(f"  {name}: the surrogate is not better than persistence")
            ok = False
    if a.same:
        x, y = runs[a.same[0]], runs[a.same[1]]
        d = max(float(np.max(np.abs(p - q))) for p, q in zip(x, y)) if len(x) == len(y) else float("inf")
        print(f"  {a.same[0]} vs {a.same[1]}: max difference of the states {d:.2e}")
        ok = ok and d <= 1e-12

    if a.png:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        name = next(iter(runs))
        step, err, pers = curves[name]
        fields = a.grid is not None
        fig, ax = plt.subplots(1, 4 if fields else 1, figsize=(18 if fields else 6, 4.2))
        ax = np.atleast_1d(ax)
        if fields:
            mx, my = (int(v) for v in a.grid.split(","))
            f = lambda v: v.reshape(my, mx, a.dof)[:, :, 0]  # noqa: E731 (natural order, component 0)
            ref, sur = f(sol[step[-1]]), f(runs[name][len(step) - 1])
            lo, hi = min(ref.min(), sur.min()), max(ref.max(), sur.max())
            for k, (img, t) in enumerate([(ref, f"solver, step {step[-1]}"), (sur, f"GNN surrogate ({name}), step {step[-1]}")]):
                im = ax[k].imshow(img, origin="lower", vmin=lo, vmax=hi, cmap="viridis")
                ax[k].set_title(t)
                fig.colorbar(im, ax=ax[k], shrink=0.8)
            im = ax[2].imshow(np.abs(sur - ref), origin="lower", cmap="magma")
            ax[2].set_title("|surrogate - solver|")
            fig.colorbar(im, ax=ax[2], shrink=0.8)
        c = ax[-1]
        for nm, (st, e, _) in curves.items():
            c.plot(st, e, "o-", ms=3, label=f"GNN: {nm}")
        c.plot(step, pers, "k--", label="persistence (initial state kept)")
        c.set_xlabel("solver step")
        c.set_ylabel("relative L2 error vs the solver")
        c.set_yscale("log")
        c.grid(True, alpha=0.3)
        c.legend(fontsize=8)
        fig.suptitle(a.title)
        fig.tight_layout()
        fig.savefig(a.png, dpi=110)
        print(f"  wrote {a.png}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
