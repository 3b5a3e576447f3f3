#!/usr/bin/env python3
"""Weak-scaling model of a petscgnn training step beyond this machine, from measured inputs.

Inputs measured by make bench (docs/benchmarks.json, key "scaling_inputs"):
  t_node        seconds of compute per graph node per training step (one rank)
  partitions    per rank count P (2..64) of the same 3-D lattice: owned, ghost and neighbour
                counts of every rank, and the largest ghost count of one (receiver, sender) pair
and network parameters given here: bandwidth (bytes/s per rank) and latency (s per message).

Per step on P ranks, n nodes per rank (bulk-synchronous: the slowest rank sets the pace):
  compute   t_node * n * imbalance(P, n)
  halo      L * [ (m * alpha + 4 H g / beta)  +  (m * alpha + 8 H g / beta) ]
            (L forward exchanges in float32, L reverse ones: petscgnn adds them in float64);
            g = ghosts of the busiest rank = c(P) * n^(2/3), m = its neighbour ranks
  overlap   (--overlap, -gnn_halo_overlap) each exchange hides behind the work its layer does while
            it is in flight, a share w of the layer's compute in that direction (forward: a third of
            the step's compute, backward two thirds, over L layers):
              forward  max(0, m alpha + 4 H g / beta - w compute / (3 L))
              backward max(0, m alpha + 8 H g / beta - w 2 compute / (3 L))
            w counted in row products of the Linear layers (E = k n edges, NH hidden layers per MLP):
            between start and end, the node parts of the first edge layer (2 n) and that layer on the
            edges (k n); backward the same
            layer's gradients (2 k n + 4 n) out of twice the forward's; both give
              w = (k + 2) / ((NH + 2)(k + 1) + 2)      (k = 6, NH = 5: 0.157)
  reduce    gradient all-reduce 2 log2(P) alpha + 2 (P-1)/P * 8 n_params / beta (float64),
            plus 3 small all-reduces (input checks, loss): 3 log2(P) alpha
  efficiency(P) = T(1) / T(P)
The padded all_to_all of the paper's code (every rank sends the largest pair buffer, k rows, to
every other rank, float32 both ways): 2 L [ (P-1) alpha + (P-1) 4 H k / beta ], k = cpair(P) n^(2/3).
Partitions of the box at P ranks are assumed self-similar in n: c(P) = g / n_mean^(2/3) and
cpair(P) are taken from the measured partition at P (P <= 64) or at 64 (P > 64); the vertex-
ownership imbalance is a surface effect: imbalance = 1 + (measured - 1) (n_meas / n)^(1/3).

  scaling_model.py docs/benchmarks.json [--nodes-per-rank 1e6] [--bandwidth 25e9] [--latency 2e-6]
                   [--t-node SECONDS]
"""

import argparse
import json
import math

RANKS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192]


def partition_params(partitions, P):
    """(c, cpair, m, imbalance, n_meas) for P ranks from the measured partitions (dict P -> data)."""
    if P == 1:
        return 0.0, 0.0, 0, 1.0, 1.0
    known = sorted(int(k) for k in partitions)
    if P in known:
        q = P
    elif P > max(known):
        q = max(known)
    else:
        q = max(k for k in known if k <= P)
    d = partitions[str(q)] if str(q) in partitions else partitions[q]
    owned, ghost, nbrs = d["owned"], d["ghost"], d["neighbours"]
    n_mean = sum(owned) / len(owned)
    c = max(ghost) / n_mean ** (2.0 / 3.0)
    cpair = d["max_pair"] / n_mean ** (2.0 / 3.0)
    return c, cpair, max(nbrs), max(owned) / n_mean, n_mean


def overlap_window(inputs, edges_per_node=6.0):
    """w: the share of a processor layer's compute that runs while its exchange is in flight."""
    k, nh = edges_per_node, inputs.get("mlp_hidden_layers", 5)
    return (k + 2.0) / ((nh + 2.0) * (k + 1.0) + 2.0)


def predict(inputs, nodes_per_rank, bandwidth, latency, t_node=None, ranks=RANKS, overlap=False):
    """Rows of (P, T_step, efficiency, halo share, all_to_all efficiency, halo bytes/rank/step)."""
    L, H, npar = inputs["layers"], inputs["hidden"], inputs["params"]
    tn = t_node if t_node is not None else inputs["t_node"]
    n = nodes_per_rank
    t1 = tn * n
    rows = []
    for P in ranks:
        c, cpair, m, imb, n_meas = partition_params(inputs["partitions"], P)
        imb_n = 1.0 + (imb - 1.0) * (n_meas / n) ** (1.0 / 3.0) if P > 1 else 1.0
        g = c * n ** (2.0 / 3.0)
        k = cpair * n ** (2.0 / 3.0)
        comp = tn * n * imb_n
        fwd, bwd = m * latency + 4.0 * H * g / bandwidth, m * latency + 8.0 * H * g / bandwidth
        if overlap:
            w = overlap_window(inputs)
            fwd, bwd = max(0.0, fwd - w * comp / (3 * L)), max(0.0, bwd - w * 2 * comp / (3 * L))
        halo = L * (fwd + bwd) if P > 1 else 0.0
        logp = math.log2(P) if P > 1 else 0.0
        red = (2 * logp * latency + 2 * (P - 1) / P * 8 * npar / bandwidth + 3 * logp * latency) if P > 1 else 0.0
        a2a = 2 * L * ((P - 1) * latency + (P - 1) * 4.0 * H * k / bandwidth) if P > 1 else 0.0
        t = comp + halo + red
        rows.append(dict(ranks=P, nodes=P * n, t_step=t, efficiency=t1 / t, halo_share=halo / t,
                         reduce_share=red / t, efficiency_all_to_all=t1 / (comp + a2a + red),
                         halo_bytes=L * 12.0 * H * g, all_to_all_bytes=2 * L * (P - 1) * 4.0 * H * k,
                         neighbours=m, ghosts=g))
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", help="docs/benchmarks.json written by make bench")
    p.add_argument("--nodes-per-rank", type=float, default=1e6)
    p.add_argument("--bandwidth", type=float, default=25e9, help="bytes/s per rank (default 25e9)")
    p.add_argument("--latency", type=float, default=2e-6, help="seconds per message (default 2e-6)")
    p.add_argument("--t-node", type=float, help="compute seconds per node per step (default: measured)")
    p.add_argument("--overlap", action="store_true", help="the halo exchange overlapped (-gnn_halo_overlap)")
    a = p.parse_args()
    with open(a.results) as f:
        inputs = json.load(f)["scaling_inputs"]
    rows = predict(inputs, a.nodes_per_rank, a.bandwidth, a.latency, a.t_node, overlap=a.overlap)
    print(f"{'ranks':>6} {'nodes':>10} {'step s':>10} {'eff':>6} {'halo%':>6} {'eff a2a':>8}")
    for r in rows:
        print(f"{r['ranks']:6d} {r['nodes']:10.3g} {r['t_step']:10.4g} {r['efficiency']:6.3f} "
              f"{100 * r['halo_share']:6.2f} {r['efficiency_all_to_all']:8.3g}")


if __name__ == "__main__":
    main()
