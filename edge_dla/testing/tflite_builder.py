"""A small TFLite flatbuffer writer for building test models, valid or deliberately broken.

ModelBuilder records tensors, buffers and operators as plain mutable records and
serialises them verbatim, without validation: that is what lets negative tests
build malformed models (out-of-range indices, bad scales, zero strides...) by
passing odd arguments or by editing `b.tensors[i]` / `b.ops[i]` before `build()`.

The *_model() helpers below generate random but correctly quantized int8 layers
(symmetric per-channel int8 weights, int32 bias at input_scale*weight_scale,
output scales estimated so activations spread over the int8 range).
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass, field

import flatbuffers
import numpy as np
import tflite
import tflite.utils
from tflite.ActivationFunctionType import ActivationFunctionType
from tflite.BuiltinOperator import BuiltinOperator
from tflite.BuiltinOptions import BuiltinOptions
from tflite.Padding import Padding
from tflite.TensorType import TensorType

SCHEMA_VERSION = 3

DTYPES = {  # name -> (TensorType, numpy dtype)
    "float32": (TensorType.FLOAT32, np.float32),
    "int32": (TensorType.INT32, np.int32),
    "uint8": (TensorType.UINT8, np.uint8),
    "int64": (TensorType.INT64, np.int64),
    "bool": (TensorType.BOOL, np.bool_),
    "int16": (TensorType.INT16, np.int16),
    "int8": (TensorType.INT8, np.int8),
    "float16": (TensorType.FLOAT16, np.float16),
}

# Builtin ops whose options table name is not simply CamelCase(op name) + "Options".
OPTIONS_TYPE = {
    "CONV_2D": "Conv2DOptions",
    "DEPTHWISE_CONV_2D": "DepthwiseConv2DOptions",
    "AVERAGE_POOL_2D": "Pool2DOptions",
    "MAX_POOL_2D": "Pool2DOptions",
    "L2_POOL_2D": "Pool2DOptions",
    "MEAN": "ReducerOptions",
    "SUM": "ReducerOptions",
    "REDUCE_MAX": "ReducerOptions",
    "REDUCE_MIN": "ReducerOptions",
    "REDUCE_PROD": "ReducerOptions",
}

# Ops that get their options table even when called without keyword arguments,
# as the TFLite converter always emits one for them.
ALWAYS_OPTIONS = {"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D",
                  "FULLY_CONNECTED", "ADD", "SOFTMAX"}

ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")

@dataclass
class TensorSpec:
    """One subgraph tensor, serialised as is (edit fields to build broken models)."""

    name: str
    shape: list
    dtype: str = "int8"
    buffer: int = 0
    scales: list | None = None  # None: no quantization table
    zero_points: list | None = None
    quantized_dimension: int = 0
    is_variable: bool = False


@dataclass
class OpSpec:
    """One operator: opcode index into ModelBuilder.opcodes plus raw schema option fields."""

    opcode_index: int
    inputs: list
    outputs: list
    options_type: str | None = None  # e.g. "Conv2DOptions"; None: no builtin options
    options: dict = field(default_factory=dict)  # snake_case schema field -> value
    custom_options: bytes | None = None


@dataclass(frozen=True)
class OpcodeSpec:
    """An operator_codes entry; builtin_code is any int so unknown codes can be written."""

    builtin_code: int
    custom_code: str | None = None
    version: int = 1


def builtin_code(name: str) -> int:
    """Map 'CONV_2D' to its BuiltinOperator value."""
    try:
        return getattr(BuiltinOperator, name)
    except AttributeError:
        raise ValueError(f"unknown builtin operator {name!r}") from None


def _camel(snake: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in snake.lower().split("_"))


def _options_type_for(op_name: str) -> str | None:
    name = OPTIONS_TYPE.get(op_name) or _camel(op_name) + "Options"
    return name if hasattr(BuiltinOptions, name) else None


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _friendly_options(kw: dict) -> dict:
    """Translate convenience keywords (stride=(h,w), activation='RELU'...) to schema fields."""
    out = {}
    for key, value in kw.items():
        if key == "stride":
            out["stride_h"], out["stride_w"] = _pair(value)
        elif key == "dilation":
            out["dilation_h_factor"], out["dilation_w_factor"] = _pair(value)
        elif key == "filter":
            out["filter_height"], out["filter_width"] = _pair(value)
        elif key == "activation":
            out["fused_activation_function"] = value
        else:
            out[key] = value
    for key in ("padding", "fused_activation_function"):
        if isinstance(out.get(key), str):
            enum = Padding if key == "padding" else ActivationFunctionType
            out[key] = getattr(enum, out[key].upper())
    return out


class ModelBuilder:
    """Collects one subgraph's tensors/ops and writes a schema-v3 .tflite flatbuffer."""

    def __init__(self, description: str = "edge_dla test model", version: int = SCHEMA_VERSION):
        self.description = description
        self.version = version
        self.buffers: list[bytes] = [b""]  # buffer 0 is the empty sentinel TFLite expects
        self.tensors: list[TensorSpec] = []
        self.ops: list[OpSpec] = []
        self.opcodes: list[OpcodeSpec] = []
        self.inputs: list[int] = []
        self.outputs: list[int] = []

    # ---- tensors -------------------------------------------------------------------
    def add_buffer(self, data: bytes) -> int:
        """Append a raw buffer and return its index."""
        self.buffers.append(bytes(data))
        return len(self.buffers) - 1

    def tensor(self, name, shape, scale=None, zero_point=0, dtype="int8",
               quantized_dimension=0, buffer=0) -> int:
        """Add a tensor with no data (activation); scale may be a scalar or a per-channel list."""
        scales = zps = None
        if scale is not None:
            scales = [float(s) for s in np.atleast_1d(scale)]
            zps = [int(z) for z in np.atleast_1d(zero_point)]
            if len(zps) == 1 and len(scales) > 1:
                zps = zps * len(scales)
        self.tensors.append(TensorSpec(name, [int(d) for d in shape], dtype, buffer,
                                       scales, zps, quantized_dimension))
        return len(self.tensors) - 1

    def input(self, name, shape, scale=None, zero_point=0, dtype="int8") -> int:
        """Add a subgraph input tensor."""
        t = self.tensor(name, shape, scale, zero_point, dtype)
        self.inputs.append(t)
        return t

    def const(self, name, data, scales=None, zero_points=0, quantized_dimension=0,
              dtype=None, shape=None) -> int:
        """Add a constant tensor holding `data`; `shape` overrides data.shape (for broken models)."""
        arr = np.asarray(data)
        if dtype is None:
            names = [k for k, (_, d) in DTYPES.items() if d == arr.dtype.type]
            if not names:
                raise TypeError(f"{name}: no TFLite type for {arr.dtype}; pass dtype=")
            dtype = names[0]
        arr = arr.astype(DTYPES[dtype][1])
        buf = self.add_buffer(arr.astype(arr.dtype.newbyteorder("<")).tobytes())
        return self.tensor(name, arr.shape if shape is None else shape, scales, zero_points,
                           dtype, quantized_dimension, buf)

    def output(self, *tensors: int) -> None:
        """Mark tensors as subgraph outputs."""
        self.outputs.extend(tensors)

    # ---- operators -----------------------------------------------------------------
    def opcode(self, builtin, custom_code=None, version=1) -> int:
        """Return the operator_codes index for a builtin (name or int) / custom op, adding it once."""
        code = builtin_code(builtin) if isinstance(builtin, str) else int(builtin)
        spec = OpcodeSpec(code, custom_code, version)
        if spec not in self.opcodes:
            self.opcodes.append(spec)
        return self.opcodes.index(spec)

    def op(self, op, inputs, outputs, *, options_type=None, version=1, custom_code=None,
           custom_options=None, **options) -> int:
        """Add an operator: `op` is a builtin name ('CONV_2D'), int code, or 'CUSTOM'.

        Keyword options are schema fields of the op's options table (snake_case),
        plus shorthands padding='SAME', stride=(h, w), dilation=(h, w),
        filter=(h, w), activation='RELU'. Tensor indices are not checked.
        """
        name = op if isinstance(op, str) else tflite.utils.BUILTIN_OPCODE2NAME.get(op, "")
        if custom_code is not None and isinstance(op, str) and op != "CUSTOM":
            raise ValueError("custom_code needs op='CUSTOM'")
        if options_type is None and (options or name in ALWAYS_OPTIONS):
            options_type = _options_type_for(name)
            if options_type is None and options:
                raise ValueError(f"{name}: give options_type= for options {sorted(options)}")
        index = self.opcode(op, custom_code, version)
        self.ops.append(OpSpec(index, list(inputs), list(outputs), options_type,
                               _friendly_options(options), custom_options))
        return len(self.ops) - 1

    def custom_op(self, custom_code, inputs, outputs, custom_options=b"") -> int:
        """Add a custom operator (TFLM rejects it unless registered)."""
        return self.op("CUSTOM", inputs, outputs, custom_code=custom_code,
                       custom_options=custom_options)

    # ---- serialisation -------------------------------------------------------------
    def build(self, file_identifier: bytes | None = b"TFL3") -> bytes:
        """Serialise to .tflite bytes."""
        fb = flatbuffers.Builder(1024 + sum(len(b) for b in self.buffers))
        ivec = lambda xs, dt=np.int32: fb.CreateNumpyVector(np.asarray(xs, dt).reshape(-1))

        def table(module, fields, children=None):
            """Write one table; children (vectors, strings, tables) are already-built offsets."""
            m = importlib.import_module("tflite." + module)
            getattr(m, module + "Start")(fb)
            for k, v in {**fields, **(children or {})}.items():
                if v is not None:
                    getattr(m, module + "Add" + _camel(k))(fb, v)
            return getattr(m, module + "End")(fb)

        def vector(module, field_name, offsets):
            m = importlib.import_module("tflite." + module)
            getattr(m, f"{module}Start{field_name}Vector")(fb, len(offsets))
            for o in reversed(offsets):
                fb.PrependUOffsetTRelative(o)
            return fb.EndVector()

        buffers = []
        for data in self.buffers:
            vec = None
            if data:
                fb.StartVector(1, len(data), 16)  # schema: force_align 16
                fb.head -= len(data)
                fb.Bytes[fb.head:fb.head + len(data)] = data
                vec = fb.EndVector()
            buffers.append(table("Buffer", {}, {"data": vec}))

        tensors = []
        for t in self.tensors:
            quant = None
            if t.scales is not None or t.zero_points is not None:
                quant = table("QuantizationParameters",
                              {"quantized_dimension": t.quantized_dimension},
                              {"scale": ivec(t.scales or [], np.float32),
                               "zero_point": ivec(t.zero_points or [], np.int64)})
            tensors.append(table("Tensor",
                                 {"type": DTYPES[t.dtype][0], "buffer": t.buffer,
                                  "is_variable": t.is_variable or None},
                                 {"shape": ivec(t.shape), "name": fb.CreateString(t.name),
                                  "quantization": quant}))

        ops = []
        for o in self.ops:
            opts = None
            if o.options_type:
                vecs = {k: ivec(v) for k, v in o.options.items()
                        if isinstance(v, (list, tuple, np.ndarray))}
                scal = {k: v for k, v in o.options.items() if k not in vecs}
                opts = table(o.options_type, scal, vecs)
            custom = None if o.custom_options is None else fb.CreateByteVector(o.custom_options)
            ops.append(table("Operator",
                             {"opcode_index": o.opcode_index,
                              "builtin_options_type": (getattr(BuiltinOptions, o.options_type)
                                                       if o.options_type else None)},
                             {"inputs": ivec(o.inputs), "outputs": ivec(o.outputs),
                              "builtin_options": opts, "custom_options": custom}))

        subgraph = table("SubGraph", {}, {
            "tensors": vector("SubGraph", "Tensors", tensors),
            "inputs": ivec(self.inputs), "outputs": ivec(self.outputs),
            "operators": vector("SubGraph", "Operators", ops),
            "name": fb.CreateString("main")})

        codes = []
        for c in self.opcodes:
            custom = fb.CreateString(c.custom_code) if c.custom_code is not None else None
            codes.append(table("OperatorCode", {
                "deprecated_builtin_code": min(c.builtin_code,
                                               BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES),
                "builtin_code": c.builtin_code, "version": c.version}, {"custom_code": custom}))

        model = table("Model", {"version": self.version}, {
            "operator_codes": vector("Model", "OperatorCodes", codes),
            "subgraphs": vector("Model", "Subgraphs", [subgraph]),
            "description": fb.CreateString(self.description),
            "buffers": vector("Model", "Buffers", buffers)})
        fb.Finish(model, file_identifier=file_identifier)
        return bytes(fb.Output())


# ---- reading and running ---------------------------------------------------------------
def read_model(data: bytes) -> "tflite.Model":
    """Parse .tflite bytes with the schema package (for round-trip checks)."""
    return tflite.Model.GetRootAs(data, 0)


def run_tflm(data: bytes, inputs, arena_size: int | None = None) -> list[np.ndarray]:
    """Run a model once in the TFLM reference interpreter and return all outputs."""
    from tflite_micro.python.tflite_micro import runtime

    inputs = [inputs] if isinstance(inputs, np.ndarray) else list(inputs)
    sg = read_model(data).Subgraphs(0)
    if arena_size is None:  # TFLM's default (10x the file) is too small for activation-heavy models
        sizes = (sg.Tensors(i).ShapeAsNumpy() for i in range(sg.TensorsLength()))
        arena_size = 2 * len(data) + 8 * sum(int(np.prod(s)) for s in sizes) + (256 << 10)
    interp = runtime.Interpreter.from_bytes(data, arena_size=arena_size)
    for i, x in enumerate(inputs):
        interp.set_input(x, i)
    interp.invoke()
    return [np.array(interp.get_output(i)) for i in range(sg.OutputsLength())]


# ---- random valid int8 layers -----------------------------------------------------------
def log_uniform(rng, lo, hi, size=None):
    """Sample scales spread evenly in log space."""
    return np.exp(rng.uniform(math.log(lo), math.log(hi), size))


def symmetric_weights(rng, shape, channel_axis=None, scale_range=(0.005, 0.05)):
    """Gaussian-like int8 weights whose max |w| is 127 per channel (or per tensor), plus scales."""
    real = rng.standard_normal(shape)
    axes = None if channel_axis is None else tuple(i for i in range(len(shape)) if i != channel_axis)
    peak = np.max(np.abs(real), axis=axes, keepdims=True)
    w = np.round(real / peak * 127).astype(np.int8)
    n = 1 if channel_axis is None else shape[channel_axis]
    return w, log_uniform(rng, *scale_range, n).astype(np.float32)


def random_bias(rng, n, acc_std, bias_scales, limit=2**25):
    """int32 bias of real magnitude ~ the accumulator's, quantized at input*weight scale."""
    real = rng.normal(0.0, acc_std, n)
    return np.clip(np.round(real / bias_scales), -limit, limit).astype(np.int32)


# Real-valued clamp ranges of the bounded fused activations.
BOUNDED = {"RELU6": (0.0, 6.0), "RELU_N1_TO_1": (-1.0, 1.0)}


def _act_params(rng, scale, zero_point, default_scale_range):
    scale = float(log_uniform(rng, *default_scale_range)) if scale is None else float(scale)
    zp = int(rng.integers(-128, 128)) if zero_point is None else int(zero_point)
    return scale, zp


def _output_params(rng, real_std, scale, zero_point, activation="NONE", spread=(0.5, 2.0)):
    """Output (scale, zp) like a converter's: +-3 std of the output, or the clamp range."""
    if activation in BOUNDED:
        lo, hi = BOUNDED[activation]
        scale = (hi - lo) / 255.0 * log_uniform(rng, 0.8, 1.25) if scale is None else scale
        zp = round(-128 - lo / scale) + int(rng.integers(-8, 9))
    else:
        scale = 3.0 * real_std / 127.0 * log_uniform(rng, *spread) if scale is None else scale
        zp = int(rng.integers(-128, -99) if activation == "RELU" else rng.integers(-64, 65))
    zp = int(np.clip(zp, -128, 127)) if zero_point is None else int(zero_point)
    return float(scale), zp


def _acc_std(wq, ws, zp_in, channel_axis):
    """Typical real magnitude, per unit input scale, of random int8 inputs dotted with wq."""
    axes = tuple(i for i in range(wq.ndim) if i != channel_axis)
    w_norm = np.sqrt(np.sum(wq.astype(np.float64) ** 2, axis=axes))
    x_rms = math.hypot(74.0, zp_in)  # uniform int8 std, plus the offset the zero point adds
    return float(np.median(w_norm * np.resize(ws, w_norm.shape))) * x_rms


def conv_out_size(size, kernel, stride, dilation, padding):
    """Output spatial size as TFLite computes it."""
    eff = (kernel - 1) * dilation + 1
    if padding == "SAME":
        return (size + stride - 1) // stride
    return (size - eff + stride) // stride


def _weighted_layer(rng, b, op, in_shape, w_shape, channel_axis, out_shape, per_channel, bias,
                    activation, input_scale, input_zero_point, output_scale, output_zero_point,
                    weight_scale_range, optional_bias=-1, **options):
    """Add input, weights, bias, output and the op for CONV_2D / DEPTHWISE / FULLY_CONNECTED."""
    wq, ws = symmetric_weights(rng, w_shape, channel_axis if per_channel else None,
                               weight_scale_range)
    s_in, zp_in = _act_params(rng, input_scale, input_zero_point, (0.005, 0.1))
    per_unit = _acc_std(wq, ws, zp_in, channel_axis)
    if activation in BOUNDED and input_scale is None:
        s_in = BOUNDED[activation][1] / per_unit  # so the clamp actually bites at both ends
    s_in = float(np.float32(s_in))  # the bias scale must derive from the stored float32
    acc_std = per_unit * s_in
    s_out, zp_out = _output_params(rng, math.sqrt(2) * acc_std, output_scale, output_zero_point,
                                   activation)
    x = b.input("input", in_shape, s_in, zp_in)
    ins = [x, b.const("weights", wq, ws, 0, quantized_dimension=channel_axis if per_channel else 0)]
    if bias:
        bias_scales = (s_in * ws.astype(np.float64)).astype(np.float32)
        n = w_shape[channel_axis]
        ins.append(b.const("bias", random_bias(rng, n, acc_std, np.resize(bias_scales, n)),
                           bias_scales, 0))
    elif optional_bias is not None:
        ins.append(optional_bias)
    y = b.tensor("output", out_shape, s_out, zp_out)
    b.op(op, ins, [y], activation=activation, **options)
    b.output(y)
    return b.build()


def conv2d_model(rng, in_shape, out_channels, kernel=(3, 3), stride=(1, 1), dilation=(1, 1),
                 padding="SAME", per_channel=True, activation="NONE", bias=True,
                 input_scale=None, input_zero_point=None, output_scale=None,
                 output_zero_point=None, weight_scale_range=(0.005, 0.05)) -> bytes:
    """A single int8 CONV_2D layer (filter [O,KH,KW,I], per-channel on dim 0)."""
    n, h, w, cin = in_shape
    (kh, kw), (sh, sw), (dh, dw) = _pair(kernel), _pair(stride), _pair(dilation)
    out_shape = [n, conv_out_size(h, kh, sh, dh, padding), conv_out_size(w, kw, sw, dw, padding),
                 out_channels]
    return _weighted_layer(rng, ModelBuilder("conv2d"), "CONV_2D", in_shape,
                           (out_channels, kh, kw, cin), 0, out_shape, per_channel, bias,
                           activation, input_scale, input_zero_point, output_scale,
                           output_zero_point, weight_scale_range, padding=padding,
                           stride=(sh, sw), dilation=(dh, dw))


def depthwise_model(rng, in_shape, depth_multiplier=1, kernel=(3, 3), stride=(1, 1),
                    dilation=(1, 1), padding="SAME", per_channel=True, activation="NONE",
                    bias=True, input_scale=None, input_zero_point=None, output_scale=None,
                    output_zero_point=None, weight_scale_range=(0.005, 0.05)) -> bytes:
    """A single int8 DEPTHWISE_CONV_2D layer (filter [1,KH,KW,C*M], per-channel on dim 3)."""
    n, h, w, cin = in_shape
    (kh, kw), (sh, sw), (dh, dw) = _pair(kernel), _pair(stride), _pair(dilation)
    cout = cin * depth_multiplier
    out_shape = [n, conv_out_size(h, kh, sh, dh, padding), conv_out_size(w, kw, sw, dw, padding),
                 cout]
    # Without bias: two inputs, since TFLM's depthwise kernel crashes on an optional (-1) bias.
    return _weighted_layer(rng, ModelBuilder("depthwise"), "DEPTHWISE_CONV_2D", in_shape,
                           (1, kh, kw, cout), 3, out_shape, per_channel, bias, activation,
                           input_scale, input_zero_point, output_scale, output_zero_point,
                           weight_scale_range, optional_bias=None, padding=padding,
                           stride=(sh, sw), dilation=(dh, dw), depth_multiplier=depth_multiplier)


def fully_connected_model(rng, in_shape, units, keep_num_dims=False, activation="NONE",
                          bias=True, per_channel=False, input_scale=None,
                          input_zero_point=None, output_scale=None, output_zero_point=None,
                          weight_scale_range=(0.005, 0.05)) -> bytes:
    """A single int8 FULLY_CONNECTED layer over the last input dim (weights [units, depth])."""
    rows = int(np.prod(in_shape[:-1]))
    out_shape = list(in_shape[:-1]) + [units] if keep_num_dims else [rows, units]
    return _weighted_layer(rng, ModelBuilder("fully_connected"), "FULLY_CONNECTED", in_shape,
                           (units, in_shape[-1]), 0, out_shape, per_channel, bias, activation,
                           input_scale, input_zero_point, output_scale, output_zero_point,
                           weight_scale_range, keep_num_dims=keep_num_dims)


def pool_model(rng, in_shape, kind="AVERAGE", filter=(2, 2), stride=(2, 2), padding="VALID",
               activation="NONE", scale=None, zero_point=None) -> bytes:
    """A single int8 AVERAGE_POOL_2D or MAX_POOL_2D layer (output keeps the input quantization)."""
    n, h, w, c = in_shape
    fh, fw = _pair(filter)
    sh, sw = _pair(stride)
    s, zp = _act_params(rng, scale, zero_point, (0.005, 0.1))
    out_shape = [n, conv_out_size(h, fh, sh, 1, padding), conv_out_size(w, fw, sw, 1, padding), c]
    b = ModelBuilder(f"{kind.lower()}_pool")
    x = b.input("input", in_shape, s, zp)
    y = b.tensor("output", out_shape, s, zp)
    b.op(f"{kind.upper()}_POOL_2D", [x], [y], padding=padding, stride=(sh, sw),
         filter=(fh, fw), activation=activation)
    b.output(y)
    return b.build()


def add_model(rng, shape_a, shape_b, activation="NONE", scale_a=None, zero_point_a=None,
              scale_b=None, zero_point_b=None, output_scale=None,
              output_zero_point=None) -> bytes:
    """A single int8 ADD of two inputs with their own scales, broadcasting like TFLite."""
    sa, za = _act_params(rng, scale_a, zero_point_a, (0.005, 0.1))
    sb, zb = _act_params(rng, scale_b, zero_point_b, (0.005, 0.1))
    real_std = math.hypot(sa * math.hypot(74.0, za), sb * math.hypot(74.0, zb))
    s_out, zp_out = _output_params(rng, real_std, output_scale, output_zero_point, activation)
    out_shape = list(np.broadcast_shapes(tuple(shape_a), tuple(shape_b)))
    b = ModelBuilder("add")
    a = b.input("a", shape_a, sa, za)
    c = b.input("b", shape_b, sb, zb)
    y = b.tensor("output", out_shape, s_out, zp_out)
    b.op("ADD", [a, c], [y], activation=activation)
    b.output(y)
    return b.build()


def softmax_model(rng, shape, beta=1.0, input_scale=None, input_zero_point=None) -> bytes:
    """A single int8 SOFTMAX over the last dim (output scale 1/256, zp -128 as TFLM requires)."""
    s_in, zp_in = _act_params(rng, input_scale, input_zero_point, (0.01, 0.2))
    b = ModelBuilder("softmax")
    x = b.input("input", shape, s_in, zp_in)
    y = b.tensor("output", shape, 1.0 / 256.0, -128)
    b.op("SOFTMAX", [x], [y], beta=beta)
    b.output(y)
    return b.build()


def reshape_model(rng, in_shape, new_shape, shape_input=True, new_shape_option=True,
                  scale=None, zero_point=None) -> bytes:
    """A single int8 RESHAPE, with the target as a shape tensor and/or the new_shape option."""
    s, zp = _act_params(rng, scale, zero_point, (0.005, 0.1))
    b = ModelBuilder("reshape")
    x = b.input("input", in_shape, s, zp)
    ins = [x] + ([b.const("shape", np.array(new_shape, np.int32))] if shape_input else [])
    y = b.tensor("output", new_shape, s, zp)
    b.op("RESHAPE", ins, [y], **({"new_shape": list(new_shape)} if new_shape_option else {}))
    b.output(y)
    return b.build()


def input_shapes(data: bytes) -> list[tuple[list, np.dtype]]:
    """(shape, numpy dtype) of each subgraph input, to generate test inputs for any model."""
    sg = read_model(data).Subgraphs(0)
    by_type = {tt: np.dtype(d) for tt, d in DTYPES.values()}
    out = []
    for i in range(sg.InputsLength()):
        t = sg.Tensors(sg.Inputs(i))
        out.append((list(t.ShapeAsNumpy()), by_type[t.Type()]))
    return out
