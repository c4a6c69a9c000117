"""The converter's graph: TFLite's tensors and operators, as plain data.

The reader fills it from a flatbuffer; checks and lowering read it. Nothing
here knows about flatbuffers or the blob format.
"""
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..errors import GraphError, QuantizationError


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple
    dtype: str                      # numpy-style name: "int8", "int32", "float32", ...
    scales: Optional[np.ndarray] = None      # float32, len 1 (per-tensor) or per channel
    zero_points: Optional[np.ndarray] = None  # int64
    quantized_dimension: int = 0
    data: Optional[np.ndarray] = None        # constant contents, shaped; None for activations

    @property
    def is_const(self):
        return self.data is not None

    @property
    def scale(self):
        """Per-tensor scale as float32 (the first one for per-channel tensors). Graph rewrites
        read it before check_model has validated quantization: no scale is a typed error."""
        if self.scales is None or len(self.scales) == 0:
            raise QuantizationError("has no quantization scale", where=self.describe())
        return np.float32(self.scales[0])

    @property
    def zero_point(self):
        """Per-tensor zero point; 0 for an unquantized (float) tensor."""
        return int(self.zero_points[0]) if self.zero_points is not None and len(self.zero_points) else 0

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    def describe(self):
        return f"tensor {self.index} '{self.name}'"


@dataclass
class Operator:
    index: int
    kind: str                 # builtin op name, e.g. "CONV_2D", or "CUSTOM:<code>"
    version: int
    inputs: list              # tensor indices, -1 for an omitted optional input
    outputs: list
    options: dict = field(default_factory=dict)

    def describe(self):
        return f"op {self.index} ({self.kind})"


@dataclass
class Graph:
    tensors: list
    operators: list
    inputs: list
    outputs: list
    description: str = ""

    def producers(self):
        """tensor index -> index of the operator writing it."""
        return {t: op.index for op in self.operators for t in op.outputs if t >= 0}

    def consumers(self):
        """tensor index -> list of operator indices reading it."""
        users = {}
        for op in self.operators:
            for t in op.inputs:
                if t >= 0:
                    users.setdefault(t, []).append(op.index)
        return users


def check_health(graph):
    """Structural checks between stages: indices, operand counts, single writers, no
    cycles, order.

    Raises GraphError naming the first offending op or tensor (ModelError from
    check_operands for a known op with the wrong operand count or a required operand
    omitted: graph rewrites index operands by position, before check_model runs).
    """
    from .check import ARITY, check_operands
    n = len(graph.tensors)
    for t in graph.inputs + graph.outputs:
        if not 0 <= t < n:
            raise GraphError(f"subgraph input/output tensor index {t} out of range [0, {n})")
    writer = {}
    for op in graph.operators:
        for t in op.inputs + op.outputs:
            if not -1 <= t < n:
                raise GraphError(f"tensor index {t} out of range [0, {n})", where=op.describe())
        if any(t < 0 for t in op.outputs):
            raise GraphError("output tensor index -1", where=op.describe())
        if op.kind in ARITY:
            check_operands(op)
        both = set(op.inputs) & set(op.outputs) - {-1}
        if both:
            raise GraphError(f"tensor {sorted(both)[0]} is both input and output", where=op.describe())
        for t in op.outputs:
            if t in writer:
                raise GraphError(f"tensor {t} is written by op {writer[t]} and op {op.index}")
            if graph.tensors[t].is_const:
                raise GraphError(f"writes constant {graph.tensors[t].describe()}", where=op.describe())
            writer[t] = op.index
    for t in graph.inputs:
        if t in writer:
            raise GraphError(f"subgraph input {graph.tensors[t].describe()} is written by op {writer[t]}")
    # Execution order must be topological; a cycle makes that impossible.
    ready = set(graph.inputs) | {t.index for t in graph.tensors if t.is_const}
    for op in graph.operators:
        for t in op.inputs:
            if t >= 0 and t not in ready:
                if t in writer:
                    kind = "a cycle" if writer[t] >= op.index else "an out-of-order op"
                    raise GraphError(f"reads tensor {t} before op {writer[t]} writes it ({kind})",
                                     where=op.describe())
                raise GraphError(f"reads dangling {graph.tensors[t].describe()}: "
                                 "not an input, constant or op output", where=op.describe())
        ready.update(op.outputs)
    for t in graph.outputs:
        if t not in ready:
            raise GraphError(f"subgraph output {graph.tensors[t].describe()} is never written")
