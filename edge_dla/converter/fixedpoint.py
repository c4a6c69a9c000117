"""TFLM's integer arithmetic, emulated exactly on Python ints.

The converter uses this to precompute whole int8 -> int8 functions (LOGISTIC,
TANH, HARD_SWISH, ...) as 256-entry tables: an int8 input has only 256 values,
so evaluating TFLM's reference arithmetic once per value at conversion time
gives a table that is bit-exact by construction, and the core only looks
values up. Every function mirrors a TFLM / gemmlowp primitive (named in its
docstring) including its rounding, saturation and two's-complement wrap.

Fixed-point values are raw ints with a stated number of integer bits, as in
gemmlowp's FixedPoint<int32_t, N> (value = raw * 2^(N - 31)).
"""
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
INT16_MIN, INT16_MAX = -(1 << 15), (1 << 15) - 1


def wrap32(x):
    """Two's-complement int32 wrap-around (what TFLM's int32 overflow does in practice)."""
    return ((x + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def wrap16(x):
    """Narrowing to int16_t, as a C++ assignment does."""
    return ((x + (1 << 15)) & 0xFFFF) - (1 << 15)


def _trunc_div(a, b):
    """C++ integer division (truncates toward zero); b > 0."""
    q = abs(a) // b
    return q if a >= 0 else -q


def srdhm(a, b):
    """SaturatingRoundingDoublingHighMul<int32_t>: a * b / 2^31, ties away from zero."""
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    return _trunc_div(ab + nudge, 1 << 31)


def rdbpot(x, exponent):
    """RoundingDivideByPOT<int32_t>: x / 2^exponent, ties away from zero."""
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def saturating_shift(x, exponent):
    """SaturatingRoundingMultiplyByPOT<exponent> on int32."""
    if exponent > 0:
        threshold = (1 << (31 - exponent)) - 1
        if x > threshold:
            return INT32_MAX
        if x < -threshold:
            return INT32_MIN
        return x << exponent
    return rdbpot(x, -exponent) if exponent < 0 else x


def rescale(x, src_integer_bits, dst_integer_bits):
    """gemmlowp Rescale<dst>: change a raw value's number of integer bits."""
    return saturating_shift(x, src_integer_bits - dst_integer_bits)


def requantize(x, multiplier, shift):
    """MultiplyByQuantizedMultiplier(int32_t x, ...) in TFLM's default (double rounding) build."""
    left = shift if shift > 0 else 0
    right = -shift if shift < 0 else 0
    return rdbpot(srdhm(wrap32(x << left), multiplier), right)


def rounding_half_sum(a, b):
    """RoundingHalfSum<int32_t>: (a + b) / 2, ties away from zero."""
    s = a + b
    return _trunc_div(s + (1 if s >= 0 else -1), 2)


# ---- gemmlowp fixed-point math (TFLM's fixedpoint.h) ---------------------------------

def exp_on_interval_between_negative_one_quarter_and_0_excl(a):
    """exp(a) for a in [-1/4, 0), Q0 in and out: Taylor series around -1/8."""
    constant_term, one_third = 1895147668, 715827883
    x = wrap32(a + (1 << 28))
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    x4_over_4 = rdbpot(x4, 2)
    poly = rdbpot(wrap32(srdhm(wrap32(x4_over_4 + x3), one_third) + x2), 1)
    return wrap32(constant_term + srdhm(constant_term, wrap32(x + poly)))


_EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
               (2, 39332535), (3, 720401), (4, 242))


def exp_on_negative_values(a, integer_bits):
    """exp(a) for a <= 0 with integer_bits integer bits; result Q0."""
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    a_mod_quarter_minus_one_quarter = wrap32((a & (one_quarter - 1)) - one_quarter)
    result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        rescale(a_mod_quarter_minus_one_quarter, integer_bits, 0))
    remainder = wrap32(a_mod_quarter_minus_one_quarter - a)
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent and remainder & (1 << (fractional_bits + exponent)):
            result = srdhm(result, multiplier)
    if integer_bits > 5 and a < -(1 << (36 - integer_bits)):
        result = 0
    return INT32_MAX if a == 0 else result


def _newton_reciprocal_q2(a):
    """The Newton-Raphson core of 1/(1+a) shared by gemmlowp's two divisions; Q2 result."""
    half_denominator = rounding_half_sum(a, INT32_MAX)
    x = wrap32(1515870810 + srdhm(half_denominator, -1010580540))
    for _ in range(3):
        one_minus = wrap32((1 << 29) - srdhm(half_denominator, x))
        x = wrap32(x + rescale(srdhm(x, one_minus), 4, 2))
    return x


def one_over_one_plus_x_for_x_in_0_1(a):
    return rescale(_newton_reciprocal_q2(a), 1, 0)


def one_minus_x_over_one_plus_x_for_x_in_0_1(a):
    return rescale(wrap32(_newton_reciprocal_q2(a) - (1 << 29)), 2, 0)


def logistic(a, integer_bits):
    """gemmlowp logistic(): Q(integer_bits) in, Q0 out."""
    if a == 0:
        return 1 << 30
    positive = one_over_one_plus_x_for_x_in_0_1(
        exp_on_negative_values(wrap32(-abs(a)), integer_bits))
    return positive if a > 0 else wrap32(INT32_MAX - positive)


def tanh(a, integer_bits):
    """gemmlowp tanh(): Q(integer_bits) in, Q0 out."""
    if a == 0:
        return 0
    n = a if a < 0 else wrap32(-a)
    t = one_minus_x_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(n, integer_bits + 1))
    return wrap32(-t) if a < 0 else t


# ---- int16 primitives (HARD_SWISH) ------------------------------------------------------

def srdhm16(a, b):
    """SaturatingRoundingDoublingHighMul<int16_t>."""
    if a == b == INT16_MIN:
        return INT16_MAX
    ab = a * b
    nudge = (1 << 14) if ab >= 0 else 1 - (1 << 14)
    return wrap16(_trunc_div(ab + nudge, 1 << 15))


def sdhm16(a, b):
    """SaturatingDoublingHighMul (hard_swish.h): like srdhm16 but truncating."""
    if a == b == INT16_MIN:
        return INT16_MAX
    return wrap16(_trunc_div(a * b, 1 << 15))


def rdbpot16(x, exponent):
    """RoundingDivideByPOT<int16_t>, including its int16 mask for exponents >= 16."""
    mask = wrap16((1 << exponent) - 1)
    remainder = wrap16(x & mask)
    threshold = wrap16((mask >> 1) + (1 if x < 0 else 0))
    return wrap16((x >> exponent) + (1 if remainder > threshold else 0))


def saturating_left_shift16(x, amount):
    return max(INT16_MIN, min(INT16_MAX, x * (1 << amount)))


def downscale_multiplier_to_int16(multiplier):
    """DownScaleInt32ToInt16Multiplier."""
    if multiplier >= INT32_MAX - (1 << 15):
        return INT16_MAX
    return (multiplier + (1 << 15)) >> 16
