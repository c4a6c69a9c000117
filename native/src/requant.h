/*
 * requant.h - integer requantization and fixed-point math, bit-exact with
 * TensorFlow Lite Micro's reference kernels in their default build (double
 * rounding, i.e. TFLITE_SINGLE_ROUNDING off) and with gemmlowp's scalar
 * fixedpoint.h, which TFLM's softmax uses.
 *
 * Fixed-point values are raw int32 with a stated number of integer bits
 * (gemmlowp FixedPoint<int32_t, N>: value = raw * 2^(N - 31)); "Qm" below means
 * m integer bits. Everything is static inline and allocation-free.
 */
#ifndef EDLA_REQUANT_H
#define EDLA_REQUANT_H

#include <stdint.h>

/* The helpers rely on >> of a negative int being arithmetic, as in TFLM. */
#if (-1 >> 1) != -1
#error "edge_dla needs an arithmetic right shift for signed integers"
#endif

/* ---- wrapping int32 arithmetic ----------------------------------------------
 * TFLM accumulates in plain int32 and relies on two's-complement wrap-around in
 * practice; doing the same through uint32 keeps the result identical without
 * signed-overflow undefined behaviour. */

/* uint32 -> int32 two's-complement reinterpretation, defined for all inputs. */
static inline int32_t u32_to_i32(uint32_t v) {
    return v <= (uint32_t)INT32_MAX ? (int32_t)v : (int32_t)(v - 0x80000000u) - INT32_MAX - 1;
}

static inline int32_t wrapping_add(int32_t a, int32_t b) {
    return u32_to_i32((uint32_t)a + (uint32_t)b);
}

/* x * 2^shift modulo 2^32, shift in [0, 31]: TFLM's x * (1 << shift). */
static inline int32_t wrapping_shift_left(int32_t x, int shift) {
    return u32_to_i32((uint32_t)x << shift);
}

/* ---- gemmlowp primitives ----------------------------------------------------- */

/* a * b / 2^31 rounded half up (toward +inf); only INT32_MIN^2 overflows and
 * saturates (ARM VQRDMULH semantics). */
static inline int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : 1 - ((int64_t)1 << 30);
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31)); /* C division truncates, as C++ */
}

/* round(x / 2^exponent), ties away from zero; exponent in [0, 31]. */
static inline int32_t rounding_divide_by_pot(int32_t x, int exponent) {
    const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * 2^exponent: saturating for exponent > 0, rounding for exponent < 0. */
static inline int32_t saturating_rounding_multiply_by_pot(int32_t x, int exponent) {
    if (exponent > 0) {
        const int32_t threshold = (int32_t)((1u << (31 - exponent)) - 1u);
        if (x > threshold) {
            return INT32_MAX;
        }
        if (x < -threshold) {
            return INT32_MIN;
        }
        return wrapping_shift_left(x, exponent); /* exact: |x| <= threshold */
    }
    return exponent < 0 ? rounding_divide_by_pot(x, -exponent) : x;
}

/* gemmlowp Rescale<dst>: change a raw value from src to dst integer bits. */
static inline int32_t rescale(int32_t x, int src_integer_bits, int dst_integer_bits) {
    return saturating_rounding_multiply_by_pot(x, src_integer_bits - dst_integer_bits);
}

/* round((a + b) / 2), ties away from zero (VRHADD). */
static inline int32_t rounding_half_sum(int32_t a, int32_t b) {
    const int64_t sum = (int64_t)a + (int64_t)b;
    return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* Leading zero bits of x; 32 for 0 (TFLM CountLeadingZeros). */
static inline int count_leading_zeros(uint32_t x) {
    if (x == 0) {
        return 32;
    }
#if defined(__GNUC__)
    return __builtin_clz(x);
#else
    int n = 0;
    while ((x & 0x80000000u) == 0) {
        x <<= 1;
        ++n;
    }
    return n;
#endif
}

/* ---- TFLM requantization ------------------------------------------------------ */

/* TFLM MultiplyByQuantizedMultiplier (double rounding): shift > 0 shifts x left
 * (wrapping) before the Q31 multiply, shift < 0 rounds right after it.
 * multiplier is Q0.31 in [0, 2^31); shift in [-31, 31]. */
static inline int32_t requantize(int32_t x, int32_t multiplier, int32_t shift) {
    const int left_shift = shift > 0 ? (int)shift : 0;
    const int right_shift = shift > 0 ? 0 : (int)-shift;
    return rounding_divide_by_pot(
        saturating_rounding_doubling_high_mul(wrapping_shift_left(x, left_shift), multiplier),
        right_shift);
}

/* TFLM MultiplyByQuantizedMultiplierSmallerThanOneExp (ADD): shift in [-31, 0],
 * where it equals requantize(). */
static inline int32_t multiply_by_quantized_multiplier_smaller_than_one(int32_t x,
                                                                        int32_t multiplier,
                                                                        int32_t shift) {
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x, multiplier),
                                  (int)-shift);
}

/* TFLM MultiplyByQuantizedMultiplierGreaterThanOne (softmax input scaling):
 * left_shift in [0, 31], no rounding shift afterwards. */
static inline int32_t multiply_by_quantized_multiplier_greater_than_one(int32_t x,
                                                                        int32_t multiplier,
                                                                        int left_shift) {
    return saturating_rounding_doubling_high_mul(wrapping_shift_left(x, left_shift), multiplier);
}

/* Conv/depthwise/FC epilogue: wrapped int32 accumulator (bias included) ->
 * requantize -> + output zero point -> clamp to the activation range. */
static inline int8_t requantize_to_int8(uint32_t acc, int32_t multiplier, int32_t shift,
                                        int32_t output_offset, int32_t act_min,
                                        int32_t act_max) {
    int32_t v = wrapping_add(requantize(u32_to_i32(acc), multiplier, shift), output_offset);
    v = v < act_min ? act_min : v;
    v = v > act_max ? act_max : v;
    return (int8_t)v;
}

/* Validate a per-channel requantization table: multipliers non-negative, shifts
 * in [-31, 31] (the range requantize() handles without undefined behaviour). */
static inline int requant_table_ok(const int32_t *multiplier, const int32_t *shift, int32_t n) {
    for (int32_t i = 0; i < n; ++i) {
        if (multiplier[i] < 0 || shift[i] < -31 || shift[i] > 31) {
            return 0;
        }
    }
    return 1;
}

/* ---- gemmlowp fixed-point math used by softmax --------------------------------- */

/* exp(a) for a in [-1/4, 0), a and result Q0: 4th-order Taylor series around -1/8. */
static inline int32_t exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a) {
    const int32_t exp_minus_one_eighth = 1895147668; /* exp(-1/8), Q0 */
    const int32_t one_third = 715827883;             /* 1/3, Q0 */
    const int32_t x = a + (1 << 28);                 /* x = a + 1/8 */
    const int32_t x2 = saturating_rounding_doubling_high_mul(x, x);
    const int32_t x3 = saturating_rounding_doubling_high_mul(x2, x);
    const int32_t x4 = saturating_rounding_doubling_high_mul(x2, x2);
    const int32_t x4_over_4 = rounding_divide_by_pot(x4, 2);
    /* x^4/24 + x^3/6 + x^2/2 = ((x^4/4 + x^3) / 3 + x^2) / 2 */
    const int32_t poly = rounding_divide_by_pot(
        saturating_rounding_doubling_high_mul(x4_over_4 + x3, one_third) + x2, 1);
    return exp_minus_one_eighth +
           saturating_rounding_doubling_high_mul(exp_minus_one_eighth, x + poly);
}

/* One barrel-shifter step of exp_on_negative_values: multiply by exp(-2^k) when
 * bit `bit` of the (positive) remainder is set. */
static inline int32_t exp_barrel_step(int32_t result, int32_t remainder, int bit,
                                      int32_t exp_of_minus_pot) {
    return (remainder & ((int32_t)1 << bit))
               ? saturating_rounding_doubling_high_mul(result, exp_of_minus_pot)
               : result;
}

/* exp(a) for a <= 0 given with integer_bits integer bits (1..30); result Q0
 * (exp(0) = INT32_MAX, gemmlowp's One()). Splits a into a multiple of 1/4 plus
 * a part in [-1/4, 0): the latter by Taylor series, the former by multiplying
 * exp(-2^k) for each set bit. */
static inline int32_t exp_on_negative_values(int32_t a, int integer_bits) {
    const int fractional_bits = 31 - integer_bits;
    const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
    const int32_t mask = one_quarter - 1;
    const int32_t a_mod_quarter_minus_one_quarter = (a & mask) - one_quarter;
    int32_t result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        rescale(a_mod_quarter_minus_one_quarter, integer_bits, 0));
    const int32_t remainder = a_mod_quarter_minus_one_quarter - a;

    /* exp(-2^k) in Q0 for k = -2..4, applied only where 2^k is representable. */
    if (integer_bits > -2) result = exp_barrel_step(result, remainder, fractional_bits - 2, 1672461947);
    if (integer_bits > -1) result = exp_barrel_step(result, remainder, fractional_bits - 1, 1302514674);
    if (integer_bits > 0) result = exp_barrel_step(result, remainder, fractional_bits + 0, 790015084);
    if (integer_bits > 1) result = exp_barrel_step(result, remainder, fractional_bits + 1, 290630308);
    if (integer_bits > 2) result = exp_barrel_step(result, remainder, fractional_bits + 2, 39332535);
    if (integer_bits > 3) result = exp_barrel_step(result, remainder, fractional_bits + 3, 720401);
    if (integer_bits > 4) result = exp_barrel_step(result, remainder, fractional_bits + 4, 242);

    if (integer_bits > 5) { /* exp(a < -32) underflows Q0: clamp to 0 */
        const int32_t minus_32 = -((int32_t)1 << (36 - integer_bits));
        if (a < minus_32) {
            result = 0;
        }
    }
    return a == 0 ? INT32_MAX : result;
}

/* 1 / (1 + a) for a in [0, 1), a and result Q0: three Newton-Raphson steps in
 * Q2 starting from 48/17 - 32/17 * d, d = (1 + a) / 2. */
static inline int32_t one_over_one_plus_x_for_x_in_0_1(int32_t a) {
    const int32_t half_denominator = rounding_half_sum(a, INT32_MAX); /* (a + 1) / 2, Q0 */
    const int32_t constant_48_over_17 = 1515870810;                   /* Q2 */
    const int32_t constant_neg_32_over_17 = -1010580540;              /* Q2 */
    const int32_t one_q2 = (int32_t)1 << 29;
    int32_t x = constant_48_over_17 +
                saturating_rounding_doubling_high_mul(half_denominator, constant_neg_32_over_17);
    for (int i = 0; i < 3; ++i) {
        const int32_t half_denominator_times_x =
            saturating_rounding_doubling_high_mul(half_denominator, x); /* Q2 */
        const int32_t one_minus_half_denominator_times_x = one_q2 - half_denominator_times_x;
        x = x + rescale(saturating_rounding_doubling_high_mul(x, one_minus_half_denominator_times_x),
                        4, 2);
    }
    return rescale(x, 1, 0); /* x / 2 reinterpreted as Q1, then to Q0 */
}

/* TFLM GetReciprocal: for x > 0 with x_integer_digits integer bits, returns
 * 1 / (x / 2^num_bits_over_unit) in Q0, i.e. the reciprocal of x normalised
 * into [1, 2). */
static inline int32_t get_reciprocal(int32_t x, int x_integer_digits, int *num_bits_over_unit) {
    const int headroom_plus_one = count_leading_zeros((uint32_t)x);
    *num_bits_over_unit = x_integer_digits - headroom_plus_one;
    const int32_t shifted_sum_minus_one =
        (int32_t)(((uint32_t)x << headroom_plus_one) - 0x80000000u);
    return one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);
}

#endif /* EDLA_REQUANT_H */
