"""int8 activations as 256-entry lookup tables: LOGISTIC, TANH, HARD_SWISH,
LEAKY_RELU and standalone RELU, RELU6, RELU_N1_TO_1.

An int8 input has 256 possible values, so each table below evaluates TFLM's
integer reference (prepare-time parameters, then the per-element arithmetic,
through fixedpoint.py) once per value; the core's LUT kernel only looks the
results up. Table index = input value + 128.
"""
import math

import numpy as np

from .. import fixedpoint as fx
from .. import quant
from ..check import require
from ..layers import Layer, lowering
from .elementwise import checked_multiplier

VALUES = range(-128, 128)


def _clamp8(v):
    return max(-128, min(127, v))


def _f32(x):
    return np.float32(x)


def lut_layer(low, op, table):
    """A CPU LUT layer computing op's output from its single int8 input."""
    g = low.graph
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    require(x.size == y.size, f"input shape {list(x.shape)} != output shape {list(y.shape)}", op)
    table = np.array(table, dtype=np.int8)
    assert table.shape == (256,)
    return Layer("LUT", [low.activation(x.index), low.constant(f"{y.name}/lut", table)],
                 [low.activation(y.index)], [], op.index, info={"tflite_op": op.kind}, cpu=True)


def _q4_input_scaling(scale, op):
    """LOGISTIC / TANH prepare (kInputIntegerBits 4): the multiplier taking input
    differences to Q4.27, and the radius beyond which the output saturates."""
    q, left_shift = math.frexp(float(_f32(scale)) * (1 << 27))
    require(left_shift >= 0, f"input scale {float(scale)!r} is below 2^-28: TFLM's int8 "
            f"{op.kind} cannot rescale it", op)
    multiplier = int(quant._round_half_away(q * (1 << 31)))  # exact: a float32 mantissa
    radius = math.floor(15 * (1 << 27) / (1 << left_shift))  # CalculateInputRadius(4, shift, 31)
    return multiplier, left_shift, radius


def _q4_table(scale, zero_point, op, function, output_shift, output_offset):
    """The int8 LOGISTIC/TANH reference: saturate beyond the input radius, else the Q4
    fixed-point function, divided down to int8 and offset."""
    multiplier, left_shift, radius = _q4_input_scaling(scale, op)
    table = []
    for x in VALUES:
        v = x - zero_point
        if v <= -radius:
            table.append(-128)
        elif v >= radius:
            table.append(127)
        else:
            q0 = function(fx.requantize(v, multiplier, left_shift), 4)
            table.append(_clamp8(fx.rdbpot(q0, output_shift) + output_offset))
    return table


def logistic_table(scale, zero_point, op):
    """reference_integer_ops::Logistic (output scale 1/256, zero point -128)."""
    return _q4_table(scale, zero_point, op, fx.logistic, 23, -128)


def tanh_table(scale, zero_point, op):
    """reference_integer_ops::Tanh (output scale 1/128, zero point 0)."""
    return _q4_table(scale, zero_point, op, fx.tanh, 24, 0)


def hard_swish_table(in_scale, in_zp, out_scale, out_zp, op):
    """HardSwishPrepare + reference_ops::HardSwish: int16 fixed point, x * relu6(x + 3) / 6."""
    hires_scale = _f32(1.0 / 128.0) * _f32(in_scale)
    out_mult, out_exp = quant.quantize_multiplier(float(hires_scale / _f32(out_scale)))
    require(out_exp <= 0, f"output scale {float(out_scale)!r} is below input scale / 128: TFLM's int8 "
            "HARD_SWISH refuses it", op)
    reluish_mult, reluish_exp = quant.quantize_multiplier(float(hires_scale / (_f32(3.0) / _f32(32768.0))))
    out_mult16 = fx.downscale_multiplier_to_int16(out_mult)
    reluish_mult16 = fx.downscale_multiplier_to_int16(reluish_mult)
    table = []
    for x in VALUES:
        hires = fx.wrap16(x - in_zp) * 128  # |x - zp| <= 255: fits int16
        preshift_out = fx.srdhm16(hires, out_mult16)
        # relu-ish factor: x / 3 saturated to [-1, 1], then mapped to [0, 1]
        reluish = hires
        if reluish_exp > 0:
            reluish = fx.saturating_left_shift16(reluish, reluish_exp - 1)
        reluish = fx.srdhm16(reluish, reluish_mult16)
        if reluish_exp > 0:
            reluish = fx.saturating_left_shift16(reluish, 1)
        if reluish_exp < 0:
            reluish = fx.rdbpot16(reluish, -reluish_exp)
        reluish = (reluish + (1 << 15)) >> 1
        out = fx.rdbpot16(fx.sdhm16(reluish, preshift_out), -out_exp)
        table.append(_clamp8(fx.wrap16(out + out_zp)))
    return table


def leaky_relu_table(in_scale, in_zp, out_scale, out_zp, alpha, op):
    """CalculateOpDataLeakyRelu (ratios in double) + QuantizeLeakyRelu, whose
    negative alphas multiply by |multiplier| and negate the result."""
    alpha_mult, alpha_shift = checked_multiplier(*quant.product_multiplier([in_scale, alpha], out_scale),
                                                 op, "alpha")
    id_mult, id_shift = checked_multiplier(*quant.product_multiplier([in_scale], out_scale), op)
    table = []
    for x in VALUES:
        v = x - in_zp
        if v >= 0:
            scaled = fx.requantize(v, id_mult, id_shift)
        else:
            scaled = fx.requantize(v, abs(alpha_mult), alpha_shift)
            scaled = -scaled if alpha_mult < 0 else scaled
        table.append(_clamp8(out_zp + scaled))
    return table


def requantize_table(in_zp, out_zp, multiplier, shift, act_min=-128, act_max=127):
    """out = clamp(requantize(x - in_zp) + out_zp): RELU, RELU_N1_TO_1, int8 QUANTIZE."""
    return [max(act_min, min(act_max, fx.requantize(x - in_zp, multiplier, shift) + out_zp))
            for x in VALUES]


@lowering("LOGISTIC")
def lower_logistic(low, op):
    x, y = low.graph.tensors[op.inputs[0]], low.graph.tensors[op.outputs[0]]
    require(y.zero_point == -128, f"int8 LOGISTIC output zero point must be -128 (TFLM requires it), "
            f"got {y.zero_point}", op)
    return lut_layer(low, op, logistic_table(x.scale, x.zero_point, op))


@lowering("TANH")
def lower_tanh(low, op):
    # TFLM ignores the output quantization: it is 1/128, zero point 0 by convention.
    x = low.graph.tensors[op.inputs[0]]
    return lut_layer(low, op, tanh_table(x.scale, x.zero_point, op))


@lowering("HARD_SWISH")
def lower_hard_swish(low, op):
    x, y = low.graph.tensors[op.inputs[0]], low.graph.tensors[op.outputs[0]]
    return lut_layer(low, op, hard_swish_table(x.scale, x.zero_point, y.scale, y.zero_point, op))


@lowering("LEAKY_RELU")
def lower_leaky_relu(low, op):
    x, y = low.graph.tensors[op.inputs[0]], low.graph.tensors[op.outputs[0]]
    alpha = op.options.get("alpha", 0.0)
    return lut_layer(low, op, leaky_relu_table(x.scale, x.zero_point, y.scale, y.zero_point, alpha, op))


@lowering("RELU")
def lower_relu(low, op):
    """A RELU the rewrite could not fuse: TFLM's ReluQuantized requantizes, then clamps at 0."""
    x, y = low.graph.tensors[op.inputs[0]], low.graph.tensors[op.outputs[0]]
    m, s = checked_multiplier(*quant.product_multiplier([x.scale], y.scale), op)
    act_min = max(-128, y.zero_point)  # zero_point + roundf(0 / scale)
    return lut_layer(low, op, requantize_table(x.zero_point, y.zero_point, m, s, act_min))


@lowering("RELU6")
def lower_relu6(low, op):
    """TFLM's int8 RELU6 clamps the raw input to [zero point, quantized 6] of the
    INPUT quantization and copies it: the output quantization is not used."""
    x = low.graph.tensors[op.inputs[0]]
    six = _clamp8(quant.quantize_value(x.scale, x.zero_point, 6.0))
    return lut_layer(low, op, [max(x.zero_point, min(six, v)) for v in VALUES])


@lowering("RELU_N1_TO_1")
def lower_relu_n1_to_1(low, op):
    """TFLM has no RELU_N1_TO_1 kernel; this follows TFLite's (QuantizedReluX:
    requantize with a float32 ratio, clamp to the quantized [-1, 1])."""
    x, y = low.graph.tensors[op.inputs[0]], low.graph.tensors[op.outputs[0]]
    m, s = checked_multiplier(*quant.quantize_multiplier(float(_f32(x.scale) / _f32(y.scale))), op)
    act_min = max(-128, y.zero_point + int(quant._round_half_away(float(_f32(-1.0) / _f32(y.scale)))))
    act_max = min(127, y.zero_point + int(quant._round_half_away(float(_f32(1.0) / _f32(y.scale)))))
    return lut_layer(low, op, requantize_table(x.zero_point, y.zero_point, m, s, act_min, act_max))
