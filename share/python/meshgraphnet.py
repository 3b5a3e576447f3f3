"""Plain-PyTorch, single-process reference of petscgnn's MeshGraphNets-style GNN.

The module ``MeshGraphNet`` is the model that petscgnn evaluates on a distributed graph
(include/petscgnn.h, src/nn/*.cxx), with the same parameter and buffer names, so that a weights
file written by ``GNNSaveWeights()`` (``-gnn_save_weights``) loads with ``load_state_dict`` and a
file written here with ``torch.save(dict(model.state_dict()), f)`` loads in petscgnn with
``GNNLoadWeights()`` (``-gnn_load_weights``)::

    node encoder   MLP(F_in -> H) + LayerNorm
    edge encoder   MLP(d + 1 -> H) + LayerNorm, edge input [x_j - x_i, |x_j - x_i|] for edge j -> i
    L processor layers:
       e_ji <- e_ji + edge_mlp([h_j, h_i, e_ji])   (MLP + LayerNorm)
       a_i   = sum over edges j -> i of e_ji
       h_i  <- h_i + node_mlp([h_i, a_i])          (MLP + LayerNorm)
    decoder        MLP(H -> F_out), no LayerNorm

    MLP(a -> b) = Linear(a, H), ELU, n_hidden x [Linear(H, H), ELU], Linear(H, b) [, LayerNorm(b)]

The normalisation buffers (input_mean, input_std, output_mean, output_std) are part of the state:
the network sees (x - input_mean) / input_std and its output is decoder(h) * output_std +
output_mean. They are the identity (0 and 1) unless set, e.g. by a weights file.

The forward pass is generic: any floating dtype (that of the parameters: convert the module with
``.double()`` or ``.float()``), any number of threads (``torch.set_num_threads``), any device.

The file also reads the CSV files that petscgnn's example 1 writes (``-gnn_output_csv``,
``-gnn_output_edges``): see ``read_nodes_csv`` and ``read_edges_csv``.
"""

import csv
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "MLP",
    "ProcessorLayer",
    "MeshGraphNet",
    "NORMALIZATION_BUFFERS",
    "edge_features",
    "load_weights",
    "read_nodes_csv",
    "read_edges_csv",
]

#: Names of the normalisation buffers of MeshGraphNet (top-level entries of its state_dict)
NORMALIZATION_BUFFERS = ("input_mean", "input_std", "output_mean", "output_std")


class MLP(nn.Module):
    """Linear(n_in, hidden), ELU, n_hidden x [Linear(hidden, hidden), ELU], Linear(hidden, n_out),
    then LayerNorm(n_out, eps 1e-5, affine) if layer_norm.

    Submodules: ``linear`` (a ModuleList of n_hidden + 2 Linear) and ``norm`` (absent without
    LayerNorm), as petscgnn names them.
    """

    def __init__(self, n_in: int, hidden: int, n_out: int, n_hidden: int, layer_norm: bool,
                 dtype: Optional[torch.dtype] = None, device=None):
        super().__init__()
        kw = dict(dtype=dtype, device=device)
        sizes = [n_in] + [hidden] * (n_hidden + 1) + [n_out]
        self.linear = nn.ModuleList(nn.Linear(a, b, **kw) for a, b in zip(sizes[:-1], sizes[1:]))
        self.norm = nn.LayerNorm(n_out, eps=1e-5, elementwise_affine=True, **kw) if layer_norm else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        last = len(self.linear) - 1
        for k, lin in enumerate(self.linear):
            x = lin(x)
            if k < last:
                x = F.elu(x)  # alpha = 1
        if self.norm is not None:
            x = self.norm(x)
        return x


class ProcessorLayer(nn.Module):
    """One message-passing layer: ``edge_mlp`` MLP(3H -> H) and ``node_mlp`` MLP(2H -> H)."""

    def __init__(self, hidden: int, n_hidden: int, layer_norm: bool, dtype=None, device=None):
        super().__init__()
        self.edge_mlp = MLP(3 * hidden, hidden, hidden, n_hidden, layer_norm, dtype, device)
        self.node_mlp = MLP(2 * hidden, hidden, hidden, n_hidden, layer_norm, dtype, device)

    def forward(self, h: torch.Tensor, e: torch.Tensor, senders: torch.Tensor, receivers: torch.Tensor):
        e = e + self.edge_mlp(torch.cat([h.index_select(0, senders), h.index_select(0, receivers), e], dim=1))
        a = torch.zeros_like(h).index_add_(0, receivers, e)
        h = h + self.node_mlp(torch.cat([h, a], dim=1))
        return h, e


def edge_features(pos: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
    """Edge inputs [x_j - x_i, |x_j - x_i|], shape [E, d + 1], in the dtype of ``pos``, for the edges
    j -> i of edge_index (row 0 senders j, row 1 receivers i)."""
    d = pos.index_select(0, edge_index[0]) - pos.index_select(0, edge_index[1])
    return torch.cat([d, torch.linalg.vector_norm(d, dim=1, keepdim=True)], dim=1)


class MeshGraphNet(nn.Module):
    """The encode-process-decode network (see the module's docstring).

    Parameters: n_in, n_out (features per node), dim (space dimension d of the coordinates),
    hidden (H), mlp_hidden_layers (Linear(H, H) per MLP), layers (L), layer_norm, residual
    (output x + network(x), petscgnn's -gnn_residual). Defaults are
    petscgnn's. ``dtype``/``device`` are those of the parameters (PyTorch's default dtype if None).
    Initialisation is PyTorch's default for Linear and LayerNorm (use torch.manual_seed first).
    """

    def __init__(self, n_in: int, n_out: int, dim: int, hidden: int = 32, mlp_hidden_layers: int = 5,
                 layers: int = 4, layer_norm: bool = True, residual: bool = False, dtype=None, device=None):
        super().__init__()
        self.dim = dim
        # residual: the output is x + network(x) (petscgnn's -gnn_residual; not in the state_dict)
        self.residual = residual
        self.node_encoder = MLP(n_in, hidden, hidden, mlp_hidden_layers, layer_norm, dtype, device)
        self.edge_encoder = MLP(dim + 1, hidden, hidden, mlp_hidden_layers, layer_norm, dtype, device)
        self.processor = nn.ModuleList(ProcessorLayer(hidden, mlp_hidden_layers, layer_norm, dtype, device)
                                       for _ in range(layers))
        self.decoder = MLP(hidden, hidden, n_out, mlp_hidden_layers, False, dtype, device)
        kw = dict(dtype=dtype, device=device)
        self.register_buffer("input_mean", torch.zeros(n_in, **kw))
        self.register_buffer("input_std", torch.ones(n_in, **kw))
        self.register_buffer("output_mean", torch.zeros(n_out, **kw))
        self.register_buffer("output_std", torch.ones(n_out, **kw))

    @property
    def dtype(self) -> torch.dtype:
        return self.decoder.linear[0].weight.dtype

    @classmethod
    def from_state_dict(cls, state: Dict[str, torch.Tensor], dtype=None, device=None) -> "MeshGraphNet":
        """A model with the architecture of ``state`` (a state_dict, e.g. petscgnn's weights file):
        sizes, depths and LayerNorm are read from the names and shapes. The weights are not loaded
        (use ``load_weights`` or ``load_state_dict``)."""
        w0 = state["node_encoder.linear.0.weight"]
        n_linear = 1 + max(int(k.split(".")[2]) for k in state if k.startswith("node_encoder.linear."))
        layers = len({k.split(".")[1] for k in state if k.startswith("processor.")})
        decoder_last = state[f"decoder.linear.{n_linear - 1}.weight"]
        return cls(n_in=w0.shape[1], n_out=decoder_last.shape[0],
                   dim=state["edge_encoder.linear.0.weight"].shape[1] - 1, hidden=w0.shape[0],
                   mlp_hidden_layers=n_linear - 2, layers=layers,
                   layer_norm="node_encoder.norm.weight" in state,
                   dtype=dtype if dtype is not None else w0.dtype, device=device)

    def forward(self, x: torch.Tensor, pos: torch.Tensor, edge_index: torch.Tensor,
                edge_attr: Optional[torch.Tensor] = None) -> torch.Tensor:
        """x: [N, F_in] node features; pos: [N, d] coordinates; edge_index: [2, E] int64 (row 0
        senders j, row 1 receivers i of the edges j -> i). edge_attr: the edge inputs
        ``edge_features(pos, edge_index)`` if already computed (pos is then unused).
        Returns [N, F_out] in the dtype of the parameters."""
        dtype = self.dtype
        if edge_attr is None:
            edge_attr = edge_features(pos, edge_index)  # in the coordinates' precision, like petscgnn
        senders, receivers = edge_index[0], edge_index[1]
        h = self.node_encoder((x.to(dtype) - self.input_mean) / self.input_std)
        e = self.edge_encoder(edge_attr.to(dtype))
        for layer in self.processor:
            h, e = layer(h, e, senders, receivers)
        y = self.decoder(h) * self.output_std + self.output_mean
        return x.to(dtype) + y if self.residual else y


def load_state(source) -> Dict[str, torch.Tensor]:
    """A petscgnn weights file or checkpoint (written by torch::pickle_save: a typed dict of
    tensors) as a dict. PyTorch >= 2.6 loads with weights_only=True by default, which refuses the
    typed dict's tag restorer unless it is allow-listed; these files hold tensors and numbers only."""
    if hasattr(torch.serialization, "safe_globals"):
        try:
            with torch.serialization.safe_globals([torch.jit._pickle.restore_type_tag]):
                return torch.load(source, map_location="cpu")
        except Exception:  # pragma: no cover - an older 2.x without the allow-list for it
            return torch.load(source, map_location="cpu", weights_only=False)
    return torch.load(source, map_location="cpu")


def load_weights(model: nn.Module, source, allow_missing_normalization: bool = True) -> List[str]:
    """Loads a state_dict (a file name, or a mapping of tensors) into ``model``, converting to the
    model's dtype. Strict on names and shapes, except that normalisation buffers missing from the
    file (files of a petscgnn without normalisation) stay as they are if allow_missing_normalization.
    Returns the names of the entries that were missing."""
    state = load_state(source) if isinstance(source, (str, bytes)) or hasattr(source, "read") else source
    # "meta.*" entries are metadata (GNNSetMetadata(): e.g. the plug-in's k and time step), not weights
    state = {k: v for k, v in dict(state).items() if not k.startswith("meta.")}
    missing, unexpected = model.load_state_dict(state, strict=False)
    tolerated = set(NORMALIZATION_BUFFERS) if allow_missing_normalization else set()
    bad = [k for k in missing if k not in tolerated]
    if bad or unexpected:
        raise RuntimeError(f"weights do not match the model: missing {bad}, unexpected {list(unexpected)}")
    return list(missing)


def read_nodes_csv(path: str) -> Dict[str, torch.Tensor]:
    """Reads example 1's ``-gnn_output_csv`` file: header x,y[,z],in_0,..,out_0,.. then one line
    per node in natural order. Returns float64 tensors ``pos`` [N, d], ``input`` [N, F_in] and
    ``output`` [N, F_out] (the latter two have 0 columns if the file lacks them)."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise ValueError(f"{path}: empty file")
    header = [h.strip() for h in rows[0]]
    data = torch.tensor([[float(v) for v in r] for r in rows[1:] if r], dtype=torch.float64)
    if data.numel() and data.shape[1] != len(header):
        raise ValueError(f"{path}: {data.shape[1]} values per line, {len(header)} columns in the header")
    data = data.reshape(-1, len(header))

    def columns(names):
        idx = [header.index(n) for n in names]
        return data[:, idx] if idx else data.new_zeros(data.shape[0], 0)

    coords = [c for c in ("x", "y", "z") if c in header]

    def numbered(prefix):
        names, k = [], 0
        while f"{prefix}_{k}" in header:
            names.append(f"{prefix}_{k}")
            k += 1
        return names

    return {"pos": columns(coords), "input": columns(numbered("in")), "output": columns(numbered("out"))}


def read_edges_csv(path: str, num_nodes: Optional[int] = None) -> torch.Tensor:
    """Reads example 1's ``-gnn_output_edges`` file (header sender,receiver, then one directed edge
    per line, 0-based natural node indices). Returns edge_index [2, E] int64 (row 0 senders, row 1
    receivers). With num_nodes, checks that the indices are in range."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = [h.strip() for h in rows[0]] if rows else []
    if header != ["sender", "receiver"]:
        raise ValueError(f"{path}: expected the header sender,receiver, got {','.join(header)}")
    edge_index = torch.tensor([[int(r[0]), int(r[1])] for r in rows[1:] if r], dtype=torch.int64).reshape(-1, 2).t()
    edge_index = edge_index.contiguous()
    if num_nodes is not None and edge_index.numel() and (edge_index.min() < 0 or edge_index.max() >= num_nodes):
        raise ValueError(f"{path}: node indices outside [0, {num_nodes})")
    return edge_index
