"""The core's one requantization function against TFLM's formula, on edge values."""
import numpy as np
from hypothesis import given, settings, strategies as st

from edge_dla import _native
from edge_dla.converter import quant

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def _wrap32(x):
    return (x + (1 << 31)) % (1 << 32) - (1 << 31)


def reference(acc, multiplier, shift):
    """MultiplyByQuantizedMultiplier (double rounding) in Python integers."""
    left, right = max(shift, 0), max(-shift, 0)
    a = _wrap32(acc * (1 << left))  # TFLM's int32 multiply wraps on the targets we match
    if a == INT32_MIN and multiplier == INT32_MIN:
        high = INT32_MAX
    else:
        ab = a * multiplier
        nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
        high = (ab + nudge) // (1 << 31) if (ab + nudge) >= 0 else -((-(ab + nudge)) // (1 << 31))
    if right == 0:
        return high
    mask = (1 << right) - 1
    remainder = high & mask
    threshold = (mask >> 1) + (1 if high < 0 else 0)
    return (high >> right) + (1 if remainder > threshold else 0)


EDGE_ACC = [0, 1, -1, 2, -2, 127, -128, 1 << 20, -(1 << 20), INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MIN + 1]
EDGE_MULT = [0, 1, 1 << 30, (1 << 30) + 1, INT32_MAX, INT32_MIN, 1518500250]


def test_edge_values():
    for acc in EDGE_ACC:
        for mult in EDGE_MULT:
            for shift in (-31, -30, -16, -8, -1, 0, 1, 2, 8, 30):
                assert _native.requantize(acc, mult, shift) == reference(acc, mult, shift), (acc, mult, shift)


def test_double_rounding_ties():
    half = 1 << 30  # multiplier 0.5
    # The doubling high multiply rounds ties up (towards +inf)...
    assert _native.requantize(3, half, 0) == 2      # 1.5 -> 2
    assert _native.requantize(-3, half, 0) == -1    # -1.5 -> -1
    # ...the power-of-two division rounds ties away from zero.
    assert _native.requantize(6, half, -1) == 2     # 3 / 2 = 1.5 -> 2
    assert _native.requantize(-6, half, -1) == -2   # -3 / 2 = -1.5 -> -2
    # Double rounding, TFLM's default: 5 * 0.25 = 1.25 becomes 2.5 -> 3, then 3 / 2 = 1.5 -> 2.
    assert _native.requantize(5, half, -1) == 2



@settings(max_examples=3000, derandomize=True)
@given(st.integers(INT32_MIN, INT32_MAX), st.integers(0, INT32_MAX), st.integers(-31, 30))
def test_random(acc, mult, shift):
    assert _native.requantize(acc, mult, shift) == reference(acc, mult, shift)


def test_quantize_multiplier_edges():
    assert quant.quantize_multiplier(0.0) == (0, 0)
    assert quant.quantize_multiplier(0.5) == (1 << 30, 0)
    assert quant.quantize_multiplier(1.0) == (1 << 30, 1)
    assert quant.quantize_multiplier(2.0 ** -40) == (0, 0)  # flushed like TFLM
    m, s = quant.quantize_multiplier(1 - 2.0 ** -40)         # rounds up to 2^31: renormalised
    assert (m, s) == (1 << 30, 1)
    for real in np.geomspace(2.0 ** -30, 2.0 ** 10, 200):
        m, s = quant.quantize_multiplier(float(real))
        assert (1 << 30) <= m < (1 << 31)
        assert abs(m * 2.0 ** (s - 31) - real) <= real * 2.0 ** -30
