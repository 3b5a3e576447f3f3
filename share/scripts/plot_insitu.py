#!/usr/bin/env python3
"""Plots of the main job (example 4): training loss, surrogate error vs time, solver vs GNN field.

Usage: plot_insitu.py OUTPUT_DIR   (reads train_history.csv, rollout_error.csv, fields_final.csv,
summary.txt and, for the cylinder, rollout_signal.csv; writes train_loss.png, rollout_error.png,
fields.png and, for the cylinder, signal.png there)."""
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.tri as mtri  # noqa: E402
import numpy as np  # noqa: E402


def read_csv(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    return rows[0], np.array([[float(v) for v in r] for r in rows[1:]])


def main(out):
    _, hist = read_csv(f"{out}/train_history.csv")
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.semilogy(hist[:, 0], hist[:, 1])
    ax.set_xlabel("optimiser step (in situ, interleaved with the solver)")
    ax.set_ylabel("training loss (normalised MSE)")
    ax.set_title("In-situ training")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(f"{out}/train_loss.png", dpi=120)

    with open(f"{out}/summary.txt") as fs:
        cylinder = "cylinder" in fs.readline()
    head, err = read_csv(f"{out}/rollout_error.csv")
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(err[:, 1], err[:, 2], "o-", ms=3, label="GNN rollout")
    if "one_step_error" in head:
        ax.plot(err[:, 1], err[:, 3], ".-", label="one GNN step from the solver's state")
        ax.plot(err[:, 1], err[:, 4], "--", label="persistence u(t+dt) = u(t)")
        ax.set_yscale("log")
        ax.legend()
    ax.set_xlabel("time")
    ax.set_ylabel("relative L2 error vs solver")
    ax.set_title("Surrogate rollout")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(f"{out}/rollout_error.png", dpi=120)

    written = ["train_loss.png", "rollout_error.png", "fields.png"]
    if os.path.exists(f"{out}/rollout_signal.csv"):
        _, sig = read_csv(f"{out}/rollout_signal.csv")
        fig, ax = plt.subplots(figsize=(7, 3.5))
        ax.plot(sig[:, 1], sig[:, 2], "k-", label="solver")
        ax.plot(sig[:, 1], sig[:, 3], "r--", label="GNN rollout")
        ax.set_xlabel("time")
        ax.set_ylabel("wake signal  int u_y dx")
        ax.set_title("Vortex shedding: transverse velocity in the wake")
        ax.legend()
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        fig.savefig(f"{out}/signal.png", dpi=120)
        written.append("signal.png")

    head, f = read_csv(f"{out}/fields_final.csv")
    col = {n: i for i, n in enumerate(head)}
    x, y = f[:, col["x"]], f[:, col["y"]]
    speed = {k: np.hypot(f[:, col[f"{k}_0"]], f[:, col[f"{k}_1"]]) for k in ("u_solver", "u_gnn")}
    tri = mtri.Triangulation(x, y)
    if cylinder:  # the Delaunay triangulation fills the cylinder: mask it (Schaefer-Turek geometry)
        cx, cy = x[tri.triangles].mean(axis=1), y[tri.triangles].mean(axis=1)
        tri.set_mask(np.hypot(cx - 0.2, cy - 0.2) < 0.05)
    vmax = max(s.max() for s in speed.values())
    fig, axes = plt.subplots(3, 1, figsize=(10, 8)) if cylinder else plt.subplots(1, 3, figsize=(14, 4.2))
    for ax, (key, title) in zip(axes, [("u_solver", "solver |u|"), ("u_gnn", "GNN rollout |u|")]):
        c = ax.tricontourf(tri, speed[key], levels=20, vmin=0, vmax=vmax)
        ax.set_title(title)
        ax.set_aspect("equal")
        fig.colorbar(c, ax=ax)
    c = axes[2].tricontourf(tri, np.abs(speed["u_gnn"] - speed["u_solver"]), levels=20, cmap="magma")
    axes[2].set_title("| |u_GNN| - |u_solver| |")
    axes[2].set_aspect("equal")
    fig.colorbar(c, ax=axes[2])
    flow = "Cylinder at Re 100" if cylinder else "Taylor-Green vortex"
    fig.suptitle(f"{flow} at t = {err[-1, 1]:.3g}: solver vs GNN after {int(err[-1, 0])} surrogate steps")
    fig.tight_layout()
    fig.savefig(f"{out}/fields.png", dpi=120)
    print("Wrote " + ", ".join(f"{out}/{w}" for w in written))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "output")
