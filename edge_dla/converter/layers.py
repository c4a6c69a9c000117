"""The lowered form of a model: NPU layers over tensor views onto buffers.

A `Layer` is one op record of the blob; its operands are `View`s (tensor
records: shape, type, zero point) onto `Buffer`s (constant bytes in flash, or
an activation region that the planner places in the scratchpad). Lowering
functions for each TFLite op live in `ops/` and register with `@lowering`.
"""
from dataclasses import dataclass, field

import numpy as np

# Op codes of native/include/edla.h (edla_opcode).
OPCODES = {"CONV_2D": 1, "DEPTHWISE_CONV_2D": 2, "FULLY_CONNECTED": 3, "AVERAGE_POOL_2D": 4,
           "MAX_POOL_2D": 5, "ADD": 6, "SOFTMAX": 7, "DMA": 64, "POOL_SUM": 65, "POOL_MEAN": 66,
           "DMA_DECODE": 67, "CONV_2D_SPARSE": 68, "DEPTHWISE_CONV_2D_SPARSE": 69,
           "FULLY_CONNECTED_SPARSE": 70}

# Element-wise, activation and reduction ops (8..31): CPU ops (Layer.cpu).
OPCODES.update({"MUL": 8, "SUB": 9, "SQUARED_DIFFERENCE": 10, "MAXIMUM": 11, "MINIMUM": 12,
                "PRELU": 13, "LUT": 14, "QUANTIZE": 15, "DEQUANTIZE": 16, "REDUCE_SUM": 17,
                "REDUCE_MAX": 18})

# Data movement and structural ops (32..63): CPU ops, except TRANSPOSE_CONV (MAC array).
OPCODES.update({"PAD": 32, "CONCATENATION": 33, "TRANSPOSE": 34, "STRIDED_SLICE": 35, "GATHER": 36,
                "RESIZE_NEAREST_NEIGHBOR": 37, "RESIZE_BILINEAR": 38, "TRANSPOSE_CONV": 39})

LOWERINGS = {}  # TFLite op name -> function(Lowering, Operator) -> Layer | list[Layer] | None


def lowering(*names):
    """Register a function as the lowering of the named TFLite ops."""
    def register(fn):
        for name in names:
            LOWERINGS[name] = fn
        return fn
    return register


@dataclass(eq=False)
class Buffer:
    """A region of memory: constant bytes in flash, or an activation in the scratchpad."""
    name: str
    nbytes: int
    data: bytes = None          # constants only
    first: int = None           # activations: first and last layer step using it
    last: int = None
    offset: int = None          # scratchpad offset, set by the planner
    prefetch: bool = False      # filled one step before its first use (double-buffered DMA)
    external: bool = False      # lives in external memory (a spill), reached only by DMA
    wbuf: bool = False          # lives in the NPU weight buffer (weights staged from flash), not the scratchpad
    root: "Buffer" = None       # set by the planner: this buffer shares the root's bytes
    plan_bytes: int = None      # set by the planner: bytes to reserve (a root holds its aliases)
    align: int = 16             # constants: alignment in CONST (weight streams are read bytewise: 1)

    @property
    def is_const(self):
        return self.data is not None


@dataclass(eq=False)
class View:
    """A tensor record of the blob: a typed, shaped view onto a Buffer."""
    name: str
    shape: tuple
    dtype: str
    zero_point: int
    buffer: Buffer
    quantization: dict = None   # scales/zero points for I/O details
    byte_offset: int = 0        # where the view starts inside its buffer (row stripes)


@dataclass(eq=False)
class Layer:
    kind: str
    inputs: list                # View or None
    outputs: list
    params: list
    source: int                 # TFLite operator index
    macs: int = 0
    info: dict = field(default_factory=dict)
    cpu: bool = False           # no MAC-array fit: runs on the CPU (EDLA_OP_FLAG_CPU)
    act_sparse: bool = False    # skips zero-point activations (EDLA_OP_FLAG_ACT_SPARSE)
    sparse: object = None       # weights.SparseWeights of a *_SPARSE layer (before staging)

    @property
    def opcode(self):
        return OPCODES[self.kind]


def _io_quant(tensor):
    if tensor.scales is None:  # a float32 model edge has no quantization
        return {"scales": [], "zero_points": [], "quantized_dimension": 0}
    return {"scales": [float(s) for s in tensor.scales],
            "zero_points": [int(z) for z in tensor.zero_points],
            "quantized_dimension": int(tensor.quantized_dimension)}


class Lowering:
    def __init__(self, graph):
        self.graph = graph
        self.layers = []
        self._buffers = {}      # root tflite tensor index -> Buffer
        self._alias = {}        # tflite tensor index -> root tensor index (reshape chains)
        self._offsets = {}      # tflite tensor index -> byte offset in its root's buffer (slices)
        self._folded = {}       # tflite tensor index -> constant array (reshaped constants)

    def root(self, idx):
        while idx in self._alias:
            idx = self._alias[idx]
        return idx

    def activation(self, idx, shape=None):
        """View of an activation tensor (optionally with another shape of equal size)."""
        t = self.graph.tensors[idx]
        root = self.root(idx)
        buf = self._buffers.get(root)
        if buf is None:
            rt = self.graph.tensors[root]
            buf = self._buffers[root] = Buffer(rt.name, rt.size * np.dtype(rt.dtype).itemsize)
        shape = tuple(shape if shape is not None else (t.shape or (1,)))
        return View(t.name, shape, t.dtype, t.zero_point, buf, _io_quant(t),
                    byte_offset=self._offsets.get(idx, 0))

    def constant(self, name, array):
        array = np.ascontiguousarray(array)
        dtype = {np.dtype(np.int8): "int8", np.dtype(np.int32): "int32"}[array.dtype]
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        return View(name, tuple(array.shape) or (1,), dtype, 0, Buffer(name, len(data), data))

    def const_data(self, idx):
        if idx in self._folded:
            return self._folded[idx]
        return self.graph.tensors[idx].data

    def is_const(self, idx):
        return idx in self._folded or self.graph.tensors[idx].is_const

    def alias(self, out_idx, in_idx, byte_offset=0):
        """Make tensor out_idx a view of in_idx's bytes from byte_offset on (no copy)."""
        out = self.graph.tensors[out_idx]
        if self.is_const(in_idx):
            flat = self.const_data(in_idx).reshape(-1)
            start = byte_offset // flat.dtype.itemsize
            self._folded[out_idx] = flat[start:start + out.size].reshape(out.shape)
        else:
            self._alias[out_idx] = self.root(in_idx)
            self._offsets[out_idx] = self._offsets.get(in_idx, 0) + byte_offset


def requant_tables(low, name, multipliers, shifts):
    return [low.constant(f"{name}/multiplier", multipliers), low.constant(f"{name}/shift", shifts)]


def bias_operand(low, op):
    if len(op.inputs) <= 2 or op.inputs[2] < 0:
        return None
    return low.constant(low.graph.tensors[op.inputs[2]].name, low.const_data(op.inputs[2]).astype(np.int32))
