"""Prepare-time quantization arithmetic, exactly as TFLite Micro computes it.

These functions run once in the converter; their integer results go into the
blob so the C core never touches floating point. Each mirrors a TFLM helper
(named in its docstring) including its float/double precision choices,
because a one-ulp difference here becomes a one-LSB difference in outputs.
"""
import math

import numpy as np

from ..errors import QuantizationError

ACTIVATIONS = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT"}
PADDINGS = {0: "SAME", 1: "VALID"}
INT8_MIN, INT8_MAX = -128, 127


def _round_half_away(x):
    """std::round: halves go away from zero (Python's round() goes to even)."""
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def quantize_multiplier(real):
    """QuantizeMultiplier: real = q/2^31 * 2^shift with q in [2^30, 2^31)."""
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = _round_half_away(q * (1 << 31))
    if q_fixed == 1 << 31:
        q_fixed //= 2
        shift += 1
    if shift < -31:  # flushes multipliers below ~2^-31 to zero, as TFLM does
        return 0, 0
    return int(q_fixed), int(shift)


def quantize_multiplier_smaller_than_one(real, where):
    if not 0.0 < real < 1.0:
        raise QuantizationError(f"requantization multiplier {real!r} must lie in (0, 1)", where=where)
    return quantize_multiplier(real)


def quantize_multiplier_greater_than_one(real, where):
    if not real > 1.0:
        raise QuantizationError(f"rescale multiplier {real!r} must exceed 1", where=where)
    return quantize_multiplier(real)


def quantize_value(scale, zero_point, value):
    """TFLM Quantize(): zero_point + round(float(value) / float(scale)), in float32."""
    return zero_point + int(_round_half_away(float(np.float32(value) / np.float32(scale))))


def activation_range(activation, scale, zero_point):
    """CalculateActivationRangeQuantized for int8 outputs -> (act_min, act_max)."""
    name = ACTIVATIONS.get(activation, f"code {activation}")
    if name == "NONE":
        return INT8_MIN, INT8_MAX
    if name == "RELU":
        return max(INT8_MIN, quantize_value(scale, zero_point, 0.0)), INT8_MAX
    if name == "RELU6":
        return (max(INT8_MIN, quantize_value(scale, zero_point, 0.0)),
                min(INT8_MAX, quantize_value(scale, zero_point, 6.0)))
    if name == "RELU_N1_TO_1":
        return (max(INT8_MIN, quantize_value(scale, zero_point, -1.0)),
                min(INT8_MAX, quantize_value(scale, zero_point, 1.0)))
    raise ValueError(name)  # callers check support first


def out_size(padding, in_size, filter_size, stride, dilation=1):
    """ComputeOutSize."""
    effective = (filter_size - 1) * dilation + 1
    if PADDINGS[padding] == "SAME":
        return (in_size + stride - 1) // stride
    return (in_size + stride - effective) // stride


def padding_before(stride, dilation, in_size, filter_size, out):
    """ComputePaddingWithOffset: TFLM pads the smaller half before, the rest after."""
    effective = (filter_size - 1) * dilation + 1
    total = max((out - 1) * stride + effective - in_size, 0)
    return total // 2


def conv_channel_multipliers(input_scale, filter_scales, output_scale, channels):
    """PopulateConvolutionQuantizationParams: per channel, in double precision."""
    scales = np.broadcast_to(np.asarray(filter_scales, np.float32), (channels,))
    pairs = [quantize_multiplier(float(np.float32(input_scale)) * float(s) / float(np.float32(output_scale)))
             for s in scales]
    return (np.array([m for m, _ in pairs], np.int32), np.array([s for _, s in pairs], np.int32))


def fc_multiplier(input_scale, filter_scale, output_scale):
    """GetQuantizedConvolutionMultipler: the scale product is taken in float32 first."""
    product = float(np.float32(input_scale) * np.float32(filter_scale))
    return quantize_multiplier(product / float(np.float32(output_scale)))


def softmax_params(beta, input_scale, where):
    """CalculateSoftmaxParams for int8 -> int8: (input_multiplier, input_left_shift, diff_min)."""
    integer_bits = 5  # kScaledDiffIntegerBits
    real = min(float(np.float32(beta)) * float(np.float32(input_scale)) * (1 << (31 - integer_bits)),
               (1 << 31) - 1.0)
    multiplier, left_shift = quantize_multiplier_greater_than_one(real, where)
    radius = math.floor(((1 << integer_bits) - 1) * (1 << (31 - integer_bits)) / (1 << left_shift))
    return multiplier, left_shift, -int(radius)


def add_params(scale1, scale2, scale_out, where):
    """CalculateOpDataAdd for int8 (left_shift 20)."""
    left_shift = 20
    twice_max = 2 * float(max(np.float32(scale1), np.float32(scale2)))
    m1, s1 = quantize_multiplier_smaller_than_one(float(np.float32(scale1)) / twice_max, where)
    m2, s2 = quantize_multiplier_smaller_than_one(float(np.float32(scale2)) / twice_max, where)
    mo, so = quantize_multiplier_smaller_than_one(twice_max / ((1 << left_shift) * float(np.float32(scale_out))),
                                                  where)
    return left_shift, (m1, s1), (m2, s2), (mo, so)


def _f32(x):
    return np.float32(x)


def squared_difference_params(scale1, scale2, scale_out, where):
    """SQUARED_DIFFERENCE PrepareQuantized for int8 (left_shift 7): input ratios
    in double, the output multiplier over the squared scale may exceed one."""
    left_shift = 7
    twice_max = 2.0 * float(max(_f32(scale1), _f32(scale2)))
    m1, s1 = quantize_multiplier_smaller_than_one(float(_f32(scale1)) / twice_max, where)
    m2, s2 = quantize_multiplier_smaller_than_one(float(_f32(scale2)) / twice_max, where)
    mo, so = quantize_multiplier(twice_max * twice_max / float(_f32(1 << 2 * left_shift) * _f32(scale_out)))
    return left_shift, (m1, s1), (m2, s2), (mo, so)


def product_multiplier(scales, scale_out):
    """QuantizeMultiplier(prod(double(s)) / double(scale_out)): MUL, PRELU, requantizing ops."""
    real = 1.0
    for s in scales:
        real *= float(_f32(s))
    return quantize_multiplier(real / float(_f32(scale_out)))


def mean_multiplier(multiplier, shift, count):
    """QuantizedMeanOrSum's eval-time folding of 1/count into (multiplier, shift)."""
    extra = min(count.bit_length() - 1, 32, 31 + shift)  # 63 - CountLeadingZeros(uint64 count)
    return int((multiplier << extra) // count), shift - extra
