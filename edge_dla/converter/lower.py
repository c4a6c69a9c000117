"""Lowering: TFLite graph -> NPU ops with every prepare-time computation done.

First the graph rewrites (plain functions applied in order until nothing
changes), then one lowering function per TFLite op that emits NPU layers
(`Layer`) whose operands are tensor views (`View`) onto memory buffers
(`Buffer`). Reshapes become views onto their input's buffer: no copy, no op.
"""
from dataclasses import dataclass, field

import numpy as np

from ..errors import ModelError
from . import quant
from .check import require

# Op codes of native/include/edla.h (edla_opcode).
OPCODES = {"CONV_2D": 1, "DEPTHWISE_CONV_2D": 2, "FULLY_CONNECTED": 3, "AVERAGE_POOL_2D": 4,
           "MAX_POOL_2D": 5, "ADD": 6, "SOFTMAX": 7}


@dataclass(eq=False)
class Buffer:
    """A region of memory: constant bytes in flash, or an activation in the scratchpad."""
    name: str
    nbytes: int
    data: bytes = None          # constants only
    first: int = None           # activations: first and last layer step using it
    last: int = None
    offset: int = None          # scratchpad offset, set by the planner

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


@dataclass(eq=False)
class Layer:
    kind: str
    inputs: list                # View or None
    outputs: list
    params: list
    source: int                 # TFLite operator index
    macs: int = 0
    info: dict = field(default_factory=dict)

    @property
    def opcode(self):
        return OPCODES[self.kind]


# ---- graph rewrites --------------------------------------------------------

def fuse_standalone_activation(graph):
    """RELU/RELU6/RELU_N1_TO_1 after a layer with no fused activation and the same
    quantization folds into that layer (the standalone op is then an identity
    requantization, so the result is bit-identical)."""
    codes = {"RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}
    consumers = graph.consumers()
    producers = graph.producers()
    for op in graph.operators:
        if op.kind not in codes or len(op.inputs) != 1:
            continue
        src, dst = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
        prod_index = producers.get(src.index)
        if prod_index is None or len(consumers.get(src.index, [])) != 1 or src.index in graph.outputs:
            continue
        prod = graph.operators[prod_index]
        if prod.kind not in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD",
                             "AVERAGE_POOL_2D", "MAX_POOL_2D"):
            continue
        if prod.options.get("fused_activation_function", 0) != 0:
            continue
        if src.scales is None or dst.scales is None or src.scale != dst.scale or \
                src.zero_point != dst.zero_point:
            continue
        prod.options["fused_activation_function"] = codes[op.kind]
        prod.outputs = [dst.index]
        graph.operators = [o for o in graph.operators if o is not op]
        for i, o in enumerate(graph.operators):
            o.index = i
        return True
    return False


GRAPH_REWRITES = [fuse_standalone_activation]


def apply_rewrites(graph):
    while any(rewrite(graph) for rewrite in GRAPH_REWRITES):
        pass
    return graph


# ---- lowering context ---------------------------------------------------------

def _io_quant(tensor):
    return {"scales": [float(s) for s in tensor.scales],
            "zero_points": [int(z) for z in tensor.zero_points],
            "quantized_dimension": int(tensor.quantized_dimension)}


class Lowering:
    def __init__(self, graph):
        self.graph = graph
        self.layers = []
        self._buffers = {}      # root tflite tensor index -> Buffer
        self._alias = {}        # tflite tensor index -> root tensor index (reshape chains)
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
        return View(t.name, shape, t.dtype, t.zero_point, buf, _io_quant(t))

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

    def alias(self, out_idx, in_idx):
        if self.is_const(in_idx):
            self._folded[out_idx] = self.const_data(in_idx).reshape(self.graph.tensors[out_idx].shape)
        else:
            self._alias[out_idx] = self.root(in_idx)


def _requant_tables(low, name, multipliers, shifts):
    return [low.constant(f"{name}/multiplier", multipliers), low.constant(f"{name}/shift", shifts)]


def _bias(low, op):
    if len(op.inputs) <= 2 or op.inputs[2] < 0:
        return None
    return low.constant(low.graph.tensors[op.inputs[2]].name, low.const_data(op.inputs[2]).astype(np.int32))


# ---- one lowering per TFLite op -------------------------------------------------

def _conv_like(low, op, depthwise):
    g = low.graph
    x, w, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    o = op.options
    require(len(x.shape) == 4 and len(w.shape) == 4 and len(y.shape) == 4,
            f"expects 4-D input, filter and output, got {list(x.shape)}, {list(w.shape)}, {list(y.shape)}", op)
    sh, sw = o.get("stride_h", 0), o.get("stride_w", 0)
    dh, dw = o.get("dilation_h_factor", 1), o.get("dilation_w_factor", 1)
    require(sh >= 1 and sw >= 1, f"stride ({sh}, {sw}) must be >= 1", op)
    require(dh >= 1 and dw >= 1, f"dilation ({dh}, {dw}) must be >= 1", op)
    require(o.get("padding", 0) in quant.PADDINGS, f"unknown padding code {o.get('padding')}", op)
    n, ih, iw, ic = x.shape
    if depthwise:
        _, kh, kw, oc = w.shape
        mult = o.get("depth_multiplier", 1) or 1
        require(w.shape[0] == 1, f"depthwise filter must be [1,H,W,C], got {list(w.shape)}", op)
        require(oc == ic * mult, f"filter has {oc} channels, input {ic} x depth multiplier {mult}", op)
    else:
        oc, kh, kw, wc = w.shape
        mult = 1
        require(wc == ic, f"filter depth {wc} != input channels {ic} (grouped conv is not supported)", op)
    oh = quant.out_size(o["padding"], ih, kh, sh, dh)
    ow = quant.out_size(o["padding"], iw, kw, sw, dw)
    require(y.shape == (n, oh, ow, oc), f"output shape {list(y.shape)} != computed {[n, oh, ow, oc]}", op)
    pad_t = quant.padding_before(sh, dh, ih, kh, oh)
    pad_l = quant.padding_before(sw, dw, iw, kw, ow)
    multipliers, shifts = quant.conv_channel_multipliers(x.scale, w.scales, y.scale, oc)
    act_min, act_max = quant.activation_range(o.get("fused_activation_function", 0), y.scale, y.zero_point)
    bias = _bias(low, op)
    require(bias is None or bias.shape == (oc,), f"bias shape {bias and list(bias.shape)} != [{oc}]", op)
    kind = "DEPTHWISE_CONV_2D" if depthwise else "CONV_2D"
    params = [sh, sw, dh, dw, pad_t, pad_l, -x.zero_point, y.zero_point, act_min, act_max, mult]
    macs = n * oh * ow * oc * kh * kw * (1 if depthwise else ic)
    inputs = [low.activation(x.index), low.constant(w.name, low.const_data(w.index)), bias,
              *_requant_tables(low, y.name, multipliers, shifts)]
    return Layer(kind, inputs, [low.activation(y.index)], params, op.index, macs,
                 {"kernel": [kh, kw], "stride": [sh, sw], "dilation": [dh, dw],
                  "padding": quant.PADDINGS[o["padding"]]})


def lower_conv_2d(low, op):
    return _conv_like(low, op, depthwise=False)


def lower_depthwise_conv_2d(low, op):
    return _conv_like(low, op, depthwise=True)


def lower_fully_connected(low, op):
    g = low.graph
    x, w, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    require(len(w.shape) == 2, f"weights must be 2-D, got {list(w.shape)}", op)
    require(op.options.get("weights_format", 0) == 0, "shuffled weights format is not supported", op)
    units, depth = w.shape
    require(x.size % depth == 0, f"input size {x.size} is not a multiple of the weights' depth {depth}", op)
    rows = x.size // depth
    require(y.size == rows * units, f"output shape {list(y.shape)} does not hold {rows} x {units}", op)
    if len(w.scales) > 1:
        multipliers, shifts = quant.conv_channel_multipliers(x.scale, w.scales, y.scale, units)
    else:
        m, s = quant.fc_multiplier(x.scale, w.scale, y.scale)
        multipliers, shifts = np.full(units, m, np.int32), np.full(units, s, np.int32)
    act_min, act_max = quant.activation_range(op.options.get("fused_activation_function", 0),
                                              y.scale, y.zero_point)
    bias = _bias(low, op)
    require(bias is None or bias.shape == (units,), f"bias shape {bias and list(bias.shape)} != [{units}]", op)
    params = [-x.zero_point, -int(w.zero_points[0]), y.zero_point, act_min, act_max]
    inputs = [low.activation(x.index), low.constant(w.name, low.const_data(w.index)), bias,
              *_requant_tables(low, y.name, multipliers, shifts)]
    return Layer("FULLY_CONNECTED", inputs, [low.activation(y.index)], params, op.index, rows * units * depth)


def _pool(low, op, kind):
    g = low.graph
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    o = op.options
    require(len(x.shape) == 4 and len(y.shape) == 4, "expects 4-D input and output", op)
    sh, sw, fh, fw = o.get("stride_h", 0), o.get("stride_w", 0), o.get("filter_height", 0), o.get("filter_width", 0)
    require(sh >= 1 and sw >= 1, f"stride ({sh}, {sw}) must be >= 1", op)
    require(fh >= 1 and fw >= 1, f"filter ({fh}, {fw}) must be >= 1", op)
    require(o.get("padding", 0) in quant.PADDINGS, f"unknown padding code {o.get('padding')}", op)
    n, ih, iw, c = x.shape
    oh, ow = quant.out_size(o["padding"], ih, fh, sh), quant.out_size(o["padding"], iw, fw, sw)
    require(y.shape == (n, oh, ow, c), f"output shape {list(y.shape)} != computed {[n, oh, ow, c]}", op)
    act_min, act_max = quant.activation_range(o.get("fused_activation_function", 0), y.scale, y.zero_point)
    params = [sh, sw, fh, fw, quant.padding_before(sh, 1, ih, fh, oh), quant.padding_before(sw, 1, iw, fw, ow),
              act_min, act_max]
    return Layer(kind, [low.activation(x.index)], [low.activation(y.index)], params, op.index, 0,
                 {"kernel": [fh, fw], "stride": [sh, sw], "padding": quant.PADDINGS[o["padding"]]})


def lower_average_pool_2d(low, op):
    return _pool(low, op, "AVERAGE_POOL_2D")


def lower_max_pool_2d(low, op):
    return _pool(low, op, "MAX_POOL_2D")


def _rank4(shape, op):
    require(len(shape) <= 4, f"rank {len(shape)} > 4 is not supported", op)
    return (1,) * (4 - len(shape)) + tuple(shape)


def lower_add(low, op):
    g = low.graph
    a, b, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    sa, sb, sy = _rank4(a.shape, op), _rank4(b.shape, op), _rank4(y.shape, op)
    for d in range(4):
        require(sa[d] in (1, sy[d]) and sb[d] in (1, sy[d]) and sy[d] == max(sa[d], sb[d]),
                f"shapes {list(a.shape)} and {list(b.shape)} do not broadcast to {list(y.shape)}", op)
    left_shift, (m1, s1), (m2, s2), (mo, so) = quant.add_params(a.scale, b.scale, y.scale, op.describe())
    act_min, act_max = quant.activation_range(op.options.get("fused_activation_function", 0), y.scale, y.zero_point)
    params = [left_shift, -a.zero_point, m1, s1, -b.zero_point, m2, s2, y.zero_point, mo, so, act_min, act_max]
    operand = [low.constant(t.name, low.const_data(t.index)) if low.is_const(t.index) else
               low.activation(t.index, s) for t, s in ((a, sa), (b, sb))]
    return Layer("ADD", operand, [low.activation(y.index, sy)], params, op.index)


def lower_softmax(low, op):
    g = low.graph
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    require(y.zero_point == -128 and abs(float(y.scale) - 1 / 256) < 1e-8,
            f"int8 softmax output must have scale 1/256 and zero point -128 (TFLM requires it), "
            f"got {float(y.scale)} and {y.zero_point}", op)
    require(x.shape == y.shape, f"input shape {list(x.shape)} != output shape {list(y.shape)}", op)
    multiplier, left_shift, diff_min = quant.softmax_params(op.options.get("beta", 1.0), x.scale, op.describe())
    return Layer("SOFTMAX", [low.activation(x.index)], [low.activation(y.index)],
                 [multiplier, left_shift, diff_min], op.index)


def lower_reshape(low, op):
    g = low.graph
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    require(x.size == y.size, f"reshape from {list(x.shape)} to {list(y.shape)} changes the element count", op)
    low.alias(y.index, x.index)
    return None


LOWERINGS = {
    "CONV_2D": lower_conv_2d,
    "DEPTHWISE_CONV_2D": lower_depthwise_conv_2d,
    "FULLY_CONNECTED": lower_fully_connected,
    "AVERAGE_POOL_2D": lower_average_pool_2d,
    "MAX_POOL_2D": lower_max_pool_2d,
    "ADD": lower_add,
    "SOFTMAX": lower_softmax,
    "RESHAPE": lower_reshape,
}
SUPPORTED_OPS = frozenset(LOWERINGS)


def lower(graph):
    """Lower a checked graph; returns (layers, input views, output views)."""
    low = Lowering(graph)
    for op in graph.operators:
        layer = LOWERINGS[op.kind](low, op)
        if layer is not None:
            low.layers.append(layer)
    for idx in graph.inputs + graph.outputs:
        if low.is_const(idx):
            raise ModelError(f"model input/output {graph.tensors[idx].describe()} is a constant")
    inputs = [low.activation(i) for i in graph.inputs]
    outputs = [low.activation(i) for i in graph.outputs]
    return low.layers, inputs, outputs
