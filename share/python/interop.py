#!/usr/bin/env python3
"""Checks that petscgnn (C++, LibTorch, distributed) and the plain-PyTorch MeshGraphNet of
meshgraphnet.py are the same model, in both directions, in float64.

  cpp2py        petscgnn's weights -> Python. Given example 1's node CSV (-gnn_output_csv), edges
                CSV (-gnn_output_edges) and weights (-gnn_save_weights), rebuilds the graph, loads
                the weights into the Python model, evaluates it on the CSV's input columns and
                compares with the CSV's output columns.

  py2cpp save   Python's weights -> petscgnn. Creates a Python model from its own seed (not
                petscgnn's default 12; LayerNorm affine parameters and, where the model has them,
                the normalisation buffers are randomised too, so that a swapped or ignored entry
                shows) and writes torch.save(dict(model.state_dict()), FILE). The architecture is
                that of --like FILE (a petscgnn weights file of the same configuration) or given
                by --dim, --n-in, ... Then run example 1 with -gnn_load_weights FILE.
  py2cpp check  Rebuilds the same Python model (same seed, architecture read from the file; checks
                that the file holds exactly its state) and compares its outputs on example 1's graph
                with example 1's outputs.

Each comparison prints max|y_cpp - y_py| / max|y_cpp| and exits with status 1 if it exceeds --tol
(default 1e-12), 2 on bad input. Run with the PyTorch the project uses (/usr/bin/python3 here).
"""

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from meshgraphnet import (MeshGraphNet, NORMALIZATION_BUFFERS, load_state, load_weights,  # noqa: E402
                          read_edges_csv, read_nodes_csv)

DEFAULT_PY_SEED = 20240613  # anything but petscgnn's default seed 12


def relative_difference(y_cpp: torch.Tensor, y_py: torch.Tensor) -> float:
    """max |y_cpp - y_py| / max |y_cpp| (inf if shapes differ or values are not finite)."""
    if y_cpp.shape != y_py.shape:
        return float("inf")
    if not (torch.isfinite(y_cpp).all() and torch.isfinite(y_py).all()):
        return float("inf")
    scale = y_cpp.abs().max().item()
    diff = (y_cpp - y_py).abs().max().item()
    return diff / scale if scale > 0 else (0.0 if diff == 0 else float("inf"))


def evaluate_on_example_graph(model: MeshGraphNet, nodes_csv: str, edges_csv: str):
    """Returns (y_cpp, y_py, description) for the graph and fields of example 1's CSV files."""
    nodes = read_nodes_csv(nodes_csv)
    pos, x, y_cpp = nodes["pos"], nodes["input"], nodes["output"]
    n = pos.shape[0]
    edge_index = read_edges_csv(edges_csv, num_nodes=n)
    if pos.shape[1] != model.dim:
        raise ValueError(f"{nodes_csv}: {pos.shape[1]} coordinates per node, the model's dimension is {model.dim}")
    if x.shape[1] != model.node_encoder.linear[0].in_features:
        raise ValueError(f"{nodes_csv}: {x.shape[1]} input columns, the model takes {model.node_encoder.linear[0].in_features}")
    if n == 0 or edge_index.shape[1] == 0:
        raise ValueError(f"{nodes_csv}, {edges_csv}: empty graph")
    with torch.no_grad():
        y_py = model(x, pos, edge_index)
    desc = f"{n} nodes, {edge_index.shape[1]} directed edges, d = {pos.shape[1]}"
    return y_cpp, y_py, desc


def report(direction: str, y_cpp, y_py, desc: str, tol: float) -> int:
    rel = relative_difference(y_cpp, y_py)
    ok = rel <= tol
    print(f"{direction}: {desc}; max|y_cpp| = {y_cpp.abs().max().item():.6e}; "
          f"max|y_cpp - y_py| / max|y_cpp| = {rel:.3e} (tolerance {tol:.0e}): {'OK' if ok else 'FAILED'}")
    return 0 if ok else 1


def cmd_cpp2py(args) -> int:
    state = load_state(args.weights)
    if not isinstance(state, dict):
        raise ValueError(f"{args.weights}: not a dict of tensors but {type(state).__name__}")
    model = MeshGraphNet.from_state_dict(state, dtype=torch.float64)
    missing = load_weights(model, state)
    if missing:
        print(f"cpp2py: {args.weights} has no {', '.join(missing)}: identity normalisation")
    y_cpp, y_py, desc = evaluate_on_example_graph(model, args.nodes, args.edges)
    return report("cpp2py", y_cpp, y_py, desc, args.tol)


def python_model(arch: dict, seed: int, normalization: bool) -> MeshGraphNet:
    """The Python side's model: PyTorch's default initialisation from ``seed`` in float64, then
    LayerNorm weights 1 + 0.1 N(0,1), biases 0.1 N(0,1) (petscgnn starts them at 1 and 0, which would
    hide a weight/bias mix-up) and, if normalization, input/output mean N(0,1) and std in [0.5, 2)."""
    gen = torch.manual_seed(seed)
    model = MeshGraphNet(**arch, dtype=torch.float64)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".norm." in name:
                p.copy_((1.0 if name.endswith("weight") else 0.0) + 0.1 * torch.randn(p.shape, generator=gen, dtype=p.dtype))
        if normalization:
            for name in NORMALIZATION_BUFFERS:
                b = getattr(model, name)
                if name.endswith("mean"):
                    b.copy_(torch.randn(b.shape, generator=gen, dtype=b.dtype))
                else:
                    b.copy_(0.5 + 1.5 * torch.rand(b.shape, generator=gen, dtype=b.dtype))
    return model


def architecture(model: MeshGraphNet) -> dict:
    lin = model.node_encoder.linear
    return dict(n_in=lin[0].in_features, n_out=model.decoder.linear[-1].out_features, dim=model.dim,
                hidden=lin[0].out_features, mlp_hidden_layers=len(lin) - 2, layers=len(model.processor),
                layer_norm=model.node_encoder.norm is not None)


def cmd_py2cpp_save(args) -> int:
    names = None
    if args.like:
        like = load_state(args.like)
        arch = architecture(MeshGraphNet.from_state_dict(like))
        names = set(like)
    else:
        if args.dim is None:
            raise ValueError("py2cpp save needs --like FILE or --dim")
        n_in = args.n_in if args.n_in is not None else args.dim
        n_out = args.n_out if args.n_out is not None else args.dim
        arch = dict(n_in=n_in, n_out=n_out, dim=args.dim, hidden=args.hidden,
                    mlp_hidden_layers=args.mlp_hidden_layers, layers=args.layers,
                    layer_norm=args.layer_norm)
    # Normalisation buffers: written and randomised unless --like shows a petscgnn without them
    normalization = names is None or all(b in names for b in NORMALIZATION_BUFFERS)
    model = python_model(arch, args.seed, normalization and not args.identity_normalization)
    state = model.state_dict()  # an OrderedDict
    if not normalization:
        for b in NORMALIZATION_BUFFERS:
            del state[b]
    if names is not None and set(state) != names:
        raise ValueError(f"the Python model's names differ from those of {args.like}: "
                         f"only Python {sorted(set(state) - names)}, only C++ {sorted(names - set(state))}")
    obj = state if args.ordered_dict else dict(state)  # state keeps its _metadata attribute
    torch.save(obj, args.weights)
    print(f"py2cpp save: {len(obj)} tensors ({sum(v.numel() for v in obj.values())} values, seed {args.seed}, "
          f"{type(obj).__name__}) -> {args.weights}")
    return 0


def cmd_py2cpp_check(args) -> int:
    saved = load_state(args.weights)
    arch = architecture(MeshGraphNet.from_state_dict(saved))
    normalization = all(b in saved for b in NORMALIZATION_BUFFERS)
    varied = normalization and not all(
        torch.equal(saved[b], torch.zeros_like(saved[b]) if b.endswith("mean") else torch.ones_like(saved[b]))
        for b in NORMALIZATION_BUFFERS)
    model = python_model(arch, args.seed, varied)
    state = model.state_dict()
    # the file must be exactly this model's state, so the comparison is with the Python model itself
    for k, v in saved.items():
        if k not in state or not torch.equal(state[k], v):
            raise ValueError(f"{args.weights} is not the Python model of seed {args.seed}: entry {k} differs")
    y_cpp, y_py, desc = evaluate_on_example_graph(model, args.nodes, args.edges)
    return report("py2cpp", y_cpp, y_py, desc, args.tol)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    def graph_args(q):
        q.add_argument("--nodes", required=True, help="example 1's -gnn_output_csv file")
        q.add_argument("--edges", required=True, help="example 1's -gnn_output_edges file")
        q.add_argument("--tol", type=float, default=1e-12, help="bound on max|diff| / max|y_cpp| (default 1e-12)")

    q = sub.add_parser("cpp2py", help="petscgnn's weights and outputs -> Python model")
    graph_args(q)
    q.add_argument("--weights", required=True, help="example 1's -gnn_save_weights file")
    q.set_defaults(func=cmd_cpp2py)

    q = sub.add_parser("py2cpp", help="Python model's weights -> petscgnn (stages save, then check)")
    stages = q.add_subparsers(dest="stage", required=True)
    s = stages.add_parser("save", help="write the Python model's weights for -gnn_load_weights")
    s.add_argument("--weights", required=True, help="file to write")
    s.add_argument("--seed", type=int, default=DEFAULT_PY_SEED)
    s.add_argument("--like", help="a petscgnn weights file: take its architecture and names")
    s.add_argument("--dim", type=int, help="space dimension d (without --like)")
    s.add_argument("--n-in", type=int, help="input features (default d)")
    s.add_argument("--n-out", type=int, help="output features (default d)")
    s.add_argument("--hidden", type=int, default=32)
    s.add_argument("--mlp-hidden-layers", type=int, default=5)
    s.add_argument("--layers", type=int, default=4)
    s.add_argument("--layer-norm", type=lambda v: v.lower() in ("1", "true", "yes", "on"), default=True)
    s.add_argument("--identity-normalization", action="store_true", help="leave the normalisation buffers at 0 and 1")
    s.add_argument("--ordered-dict", action="store_true",
                   help="save the OrderedDict of model.state_dict() instead of a plain dict (LibTorch 1.13 check)")
    s.set_defaults(func=cmd_py2cpp_save)
    c = stages.add_parser("check", help="compare example 1's outputs with the Python model's")
    graph_args(c)
    c.add_argument("--weights", required=True, help="the file py2cpp save wrote")
    c.add_argument("--seed", type=int, default=DEFAULT_PY_SEED)
    c.set_defaults(func=cmd_py2cpp_check)

    args = p.parse_args(argv)
    try:
        return args.func(args)
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        print(f"interop.py {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
