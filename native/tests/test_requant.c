/*
 * test_requant.c - host-only checks of the requantization and softmax fixed-point
 * helpers, and of the softmax kernel against double precision.
 *
 *   gcc -Inative/include -Inative/src native/tests/test_requant.c native/src/requant.c \
 *       -o /tmp/t && /tmp/t
 *
 * Needs no libm: the few doubles it uses are computed here. Exits non-zero on
 * the first group with failures and ends with an "N passed, N failed" line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edla.h"
#include "kernels.h"
#include "requant.h"

/* The softmax kernel is compiled into this test; it reaches tensor data through
 * edla_tensor_data, which blob.c provides in the real core. */
#include "../src/softmax.c"

void *edla_tensor_data(const edla_model *model, uint8_t *scratch, uint32_t index) {
    const edla_tensor *t = &model->tensors[index];
    if (t->location == EDLA_LOC_CONST) {
        return (void *)(uintptr_t)(model->consts + t->offset);
    }
    return scratch + t->offset;
}

static int passed, failed;

#define CHECK(cond, ...)                                  \
    do {                                                  \
        if (cond) {                                       \
            ++passed;                                     \
        } else {                                          \
            ++failed;                                     \
            if (failed <= 20) {                           \
                printf("FAIL %s:%d: ", __FILE__, __LINE__); \
                printf(__VA_ARGS__);                      \
                printf("\n");                             \
            }                                             \
        }                                                 \
    } while (0)

/* ---- deterministic random numbers (xorshift64*) ---------------------------- */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd32(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}
static int32_t rnd_range(int32_t lo, int32_t hi) { /* inclusive */
    return lo + (int32_t)(rnd32() % (uint32_t)(hi - lo + 1));
}

/* ---- straightforward int64 model of TFLM's MultiplyByQuantizedMultiplier ----
 * x * (1 << left) wraps in int32 (as TFLM's int32 multiply does in practice),
 * SaturatingRoundingDoublingHighMul = floor((x * m + 2^30) / 2^31) except
 * INT32_MIN * INT32_MIN -> INT32_MAX, RoundingDivideByPOT rounds half away
 * from zero. */
static int64_t floor_div_pow2(int64_t v, int e) {
    int64_t d = (int64_t)1 << e;
    int64_t q = v / d;
    return (v % d != 0 && v < 0) ? q - 1 : q;
}

static int32_t ref_high_mul(int32_t a, int32_t b) {
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    return (int32_t)floor_div_pow2((int64_t)a * b + ((int64_t)1 << 30), 31);
}

static int32_t ref_divide_by_pot(int32_t x, int e) {
    if (e == 0) {
        return x;
    }
    int64_t mag = x < 0 ? -(int64_t)x : (int64_t)x;
    int64_t q = (mag + ((int64_t)1 << (e - 1))) >> e;
    return (int32_t)(x < 0 ? -q : q);
}

static int32_t ref_requantize(int32_t x, int32_t m, int shift) {
    int left = shift > 0 ? shift : 0;
    int right = shift > 0 ? 0 : -shift;
    uint32_t wrapped = (uint32_t)x * (uint32_t)((uint64_t)1 << left);
    int32_t xs;
    memcpy(&xs, &wrapped, sizeof xs); /* two's-complement reinterpretation */
    return ref_divide_by_pot(ref_high_mul(xs, m), right);
}

static void test_primitives(void) {
    /* SaturatingRoundingDoublingHighMul */
    CHECK(saturating_rounding_doubling_high_mul(INT32_MIN, INT32_MIN) == INT32_MAX, "min*min");
    CHECK(saturating_rounding_doubling_high_mul(INT32_MIN, INT32_MAX) == -INT32_MAX, "min*max");
    CHECK(saturating_rounding_doubling_high_mul(INT32_MAX, INT32_MAX) == INT32_MAX - 1, "max*max");
    CHECK(saturating_rounding_doubling_high_mul(3, 1 << 30) == 2, "1.5 rounds up");
    CHECK(saturating_rounding_doubling_high_mul(-3, 1 << 30) == -1, "-1.5 rounds up (to +inf)");
    CHECK(saturating_rounding_doubling_high_mul(-1, 1 << 30) == 0, "-0.5 rounds up");

    /* RoundingDivideByPOT: ties away from zero */
    CHECK(rounding_divide_by_pot(3, 1) == 2, "1.5 -> 2");
    CHECK(rounding_divide_by_pot(-3, 1) == -2, "-1.5 -> -2");
    CHECK(rounding_divide_by_pot(-5, 2) == -1, "-1.25 -> -1");
    CHECK(rounding_divide_by_pot(-6, 2) == -2, "-1.5 -> -2");
    CHECK(rounding_divide_by_pot(-7, 2) == -2, "-1.75 -> -2");
    CHECK(rounding_divide_by_pot(INT32_MIN, 31) == -1, "min >> 31");
    CHECK(rounding_divide_by_pot(INT32_MAX, 31) == 1, "max >> 31");
    CHECK(rounding_divide_by_pot(-(1 << 30), 31) == -1, "-0.5 >> 31 -> -1");
    CHECK(rounding_divide_by_pot((1 << 30) - 1, 31) == 0, "just below 0.5");
    for (int i = 0; i < 200000; ++i) {
        int32_t x = (int32_t)rnd32();
        int e = (int)(rnd32() % 32);
        CHECK(rounding_divide_by_pot(x, e) == ref_divide_by_pot(x, e), "rdbpot(%d, %d)", x, e);
        int32_t y = (int32_t)rnd32();
        CHECK(saturating_rounding_doubling_high_mul(x, y) == ref_high_mul(x, y), "srdhm(%d, %d)",
              x, y);
    }

    /* Saturating multiply by a power of two */
    CHECK(saturating_rounding_multiply_by_pot(1 << 26, 5) == INT32_MAX, "saturate +");
    CHECK(saturating_rounding_multiply_by_pot(-(1 << 26), 5) == INT32_MIN, "saturate - edge");
    CHECK(saturating_rounding_multiply_by_pot(-(1 << 26) - 1, 5) == INT32_MIN, "saturate -");
    CHECK(saturating_rounding_multiply_by_pot((1 << 26) - 1, 5) == ((1 << 26) - 1) * 32, "exact");
    CHECK(saturating_rounding_multiply_by_pot(-3, -1) == -2, "negative exponent rounds");
    CHECK(count_leading_zeros(0) == 32 && count_leading_zeros(1) == 31 &&
              count_leading_zeros(0x80000000u) == 0, "clz");
    CHECK(rounding_half_sum(INT32_MAX, INT32_MAX) == INT32_MAX, "half sum max");
    CHECK(rounding_half_sum(-3, 0) == -2 && rounding_half_sum(3, 0) == 2, "half sum ties");
}

static void test_requantize(void) {
    static const int32_t xs[] = {INT32_MIN, INT32_MIN + 1, -(1 << 30), -65536, -32641, -255,
                                 -128, -3, -2, -1, 0, 1, 2, 3, 127, 255, 32640, 65535,
                                 1 << 30, INT32_MAX - 1, INT32_MAX};
    static const int32_t ms[] = {0, 1, 2, 1 << 29, (1 << 30) - 1, 1 << 30, (1 << 30) + 1,
                                 1518500250, INT32_MAX - 1, INT32_MAX, INT32_MIN};
    for (int shift = -31; shift <= 31; ++shift) {
        for (size_t i = 0; i < sizeof xs / sizeof xs[0]; ++i) {
            for (size_t j = 0; j < sizeof ms / sizeof ms[0]; ++j) {
                int32_t got = edla_requantize(xs[i], ms[j], shift);
                int32_t want = ref_requantize(xs[i], ms[j], shift);
                CHECK(got == want, "requantize(%d, %d, %d) = %d, want %d", xs[i], ms[j], shift,
                      got, want);
            }
        }
    }
    for (int i = 0; i < 500000; ++i) {
        int32_t x = (int32_t)rnd32();
        if (i & 1) {
            x >>= rnd32() % 31; /* favour small accumulators */
        }
        int32_t m = (int32_t)(rnd32() >> 1);
        int shift = rnd_range(-31, 31);
        CHECK(edla_requantize(x, m, shift) == ref_requantize(x, m, shift),
              "requantize(%d, %d, %d)", x, m, shift);
    }
    /* known values: 0.5 * -3 = -1.5 -> -1 (high mul rounds up), then /2: -0.5 -> -1 */
    CHECK(edla_requantize(-3, 1 << 30, -1) == -1, "known -3");
    CHECK(edla_requantize(3, 1 << 30, -1) == 1, "known 3");
    CHECK(edla_requantize(100, 1 << 30, 1) == 100, "left shift then halve");
    CHECK(edla_requantize(INT32_MIN, INT32_MIN, 0) == INT32_MAX, "saturating corner");
    /* the smaller-than-one and greater-than-one variants agree with requantize */
    for (int i = 0; i < 100000; ++i) {
        int32_t x = (int32_t)rnd32() >> 8, m = (int32_t)(rnd32() >> 1);
        int s = rnd_range(-31, 0), l = rnd_range(0, 7);
        CHECK(multiply_by_quantized_multiplier_smaller_than_one(x, m, s) == requantize(x, m, s),
              "smaller than one");
        CHECK(multiply_by_quantized_multiplier_greater_than_one(x, m, l) == requantize(x, m, l),
              "greater than one");
    }
    /* epilogue: clamp after adding the output offset, wrapping like TFLM */
    CHECK(requantize_to_int8(1000u, 1 << 30, 0, 10, -128, 127) == 127, "clamp hi");
    CHECK(requantize_to_int8((uint32_t)-1000, 1 << 30, 0, 10, -128, 127) == -128, "clamp lo");
    CHECK(requantize_to_int8(7u, 1 << 30, 0, -5, -128, 127) == -1, "3.5 -> 4, -5");
    CHECK(requantize_to_int8(40u, 1 << 30, 0, 0, 0, 6) == 6, "relu6");
}

/* ---- doubles without libm ---------------------------------------------------- */
static double dexp(double x) { /* exp by argument halving, Taylor series, squaring */
    int halvings = 0;
    while (x < -0.5 || x > 0.5) {
        x /= 2;
        ++halvings;
    }
    double term = 1, sum = 1;
    for (int k = 1; k < 25; ++k) {
        term *= x / k;
        sum += term;
    }
    while (halvings-- > 0) {
        sum *= sum;
    }
    return sum;
}
static double dabs(double x) { return x < 0 ? -x : x; }
static double dfloor(double x) {
    double t = (double)(int64_t)x;
    return t > x ? t - 1 : t;
}
static double dround(double x) { /* half away from zero, like TfLiteRound */
    return x < 0 ? -dfloor(-x + 0.5) : dfloor(x + 0.5);
}

static void test_fixed_point_math(void) {
    /* exp on Q5.26 inputs over [-32, 0] */
    double max_err = 0;
    for (int64_t raw = 0; raw >= -((int64_t)31 << 26); raw -= 9973) {
        int32_t got = exp_on_negative_values((int32_t)raw, 5);
        double want = dexp((double)raw / (double)(1 << 26));
        double err = dabs((double)got / 2147483648.0 - want);
        max_err = err > max_err ? err : max_err;
    }
    printf("exp_on_negative_values Q5.26: max abs error %.3g (%.1f Q0.31 LSB)\n", max_err,
           max_err * 2147483648.0);
    /* gemmlowp's 4th-order Taylor step leaves ~2.3e-7 (e^-1/8 * (1/8)^5 / 120) */
    CHECK(max_err < 3e-7, "exp error %g", max_err);
    CHECK(exp_on_negative_values(0, 5) == INT32_MAX, "exp(0) = One");
    /* around a quarter boundary and at the exact multiples */
    for (int k = 0; k < 128; ++k) {
        int32_t raw = -k * (1 << 24);
        double want = dexp(-k / 4.0);
        CHECK(dabs(exp_on_negative_values(raw, 5) / 2147483648.0 - want) < 3e-7, "exp(-%d/4)", k);
    }
    /* the Taylor kernel on [-1/4, 0) */
    for (int32_t raw = -(1 << 29); raw < 0; raw += 65521) {
        double want = dexp(raw / 2147483648.0);
        double got = exp_on_interval_between_negative_one_quarter_and_0_excl(raw) / 2147483648.0;
        CHECK(dabs(got - want) < 3e-7, "exp kernel at %d", raw);
    }

    /* 1 / (1 + x) on [0, 1) */
    max_err = 0;
    for (int64_t raw = 0; raw <= INT32_MAX; raw += 104729) {
        double x = (double)raw / 2147483648.0;
        double got = one_over_one_plus_x_for_x_in_0_1((int32_t)raw) / 2147483648.0;
        double err = dabs(got - 1.0 / (1.0 + x));
        max_err = err > max_err ? err : max_err;
    }
    printf("one_over_one_plus_x_for_x_in_0_1: max abs error %.3g (%.1f Q0.31 LSB)\n", max_err,
           max_err * 2147483648.0);
    CHECK(max_err < 1e-8, "reciprocal error %g", max_err);

    /* GetReciprocal on Q12.19 sums from 1.0 to 511.9 */
    for (int i = 0; i < 20000; ++i) {
        int32_t sum = rnd_range(1 << 19, (1 << 28) - 1);
        int nbou;
        int32_t r = get_reciprocal(sum, 12, &nbou);
        double want = 1.0 / ((double)sum / (double)(1 << 19)); /* 1/sum */
        double got = r / 2147483648.0 / (double)((int64_t)1 << nbou);
        CHECK(nbou >= 0 && nbou <= 8 && dabs(got - want) / want < 1e-8,
              "reciprocal of %d: nbou %d got %g want %g", sum, nbou, got, want);
    }
}

/* ---- softmax kernel vs double precision ------------------------------------------ */

/* TFLite PreprocessSoftmaxScaling + CalculateInputRadius for int8 input (5 integer bits). */
static void softmax_params(double beta, double input_scale, int32_t *multiplier,
                           int32_t *left_shift, int32_t *diff_min) {
    double real = beta * input_scale * (double)(1 << 26);
    if (real > 2147483647.0) {
        real = 2147483647.0;
    }
    /* QuantizeMultiplier (frexp + round), real >= 1 here */
    int shift = 0;
    double q = real;
    while (q >= 1.0) {
        q /= 2;
        ++shift;
    }
    while (q < 0.5) {
        q *= 2;
        --shift;
    }
    int64_t q_fixed = (int64_t)dround(q * 2147483648.0);
    if (q_fixed == ((int64_t)1 << 31)) {
        q_fixed /= 2;
        ++shift;
    }
    *multiplier = (int32_t)q_fixed;
    *left_shift = shift;
    double radius = 31.0 * (double)(1 << 26) / (double)((int64_t)1 << shift);
    *diff_min = -(int32_t)dfloor(radius);
}

static void run_softmax(const int8_t *in, int8_t *out, int rows, int depth, int32_t multiplier,
                        int32_t left_shift, int32_t diff_min, edla_status *check) {
    static uint8_t scratch[2 * 4096];
    edla_tensor tensors[2];
    memset(tensors, 0, sizeof tensors);
    for (int i = 0; i < 2; ++i) {
        tensors[i].dtype = EDLA_INT8;
        tensors[i].location = EDLA_LOC_SCRATCH;
        tensors[i].rank = 2;
        tensors[i].dims[0] = rows;
        tensors[i].dims[1] = depth;
        tensors[i].dims[2] = tensors[i].dims[3] = 1;
        tensors[i].offset = (uint32_t)(i * 4096);
        tensors[i].bytes = (uint32_t)(rows * depth);
    }
    tensors[0].zero_point = 0;
    tensors[1].zero_point = -128;
    edla_model model;
    memset(&model, 0, sizeof model);
    model.tensors = tensors;
    model.n_tensors = 2;
    edla_op op;
    memset(&op, 0, sizeof op);
    op.opcode = EDLA_OP_SOFTMAX;
    op.n_in = 1;
    op.n_out = 1;
    for (int i = 0; i < (int)EDLA_MAX_OP_INPUTS; ++i) {
        op.in[i] = EDLA_NO_TENSOR;
    }
    op.in[0] = 0;
    op.out[0] = 1;
    op.out[1] = EDLA_NO_TENSOR;
    op.p[SOFTMAX_P_INPUT_MULTIPLIER] = multiplier;
    op.p[SOFTMAX_P_INPUT_LEFT_SHIFT] = left_shift;
    op.p[SOFTMAX_P_DIFF_MIN] = diff_min;
    *check = edla_check_softmax(&model, &op);
    if (*check != EDLA_OK) {
        return;
    }
    memcpy(scratch, in, (size_t)(rows * depth));
    edla_eval_softmax(&model, &op, scratch, NULL);
    memcpy(out, scratch + 4096, (size_t)(rows * depth));
}

static void test_softmax(void) {
    static int8_t in[4096], out[4096];
    int worst = 0;
    for (int trial = 0; trial < 400; ++trial) {
        int depth = rnd_range(1, 64);
        int rows = rnd_range(1, 4096 / depth < 8 ? 4096 / depth : 8);
        /* input scales from 1/256 to 1/2 and a few betas */
        double scale = (double)rnd_range(1, 128) / 256.0;
        double beta = (trial % 4 == 0) ? 0.5 : 1.0;
        int spread = rnd_range(1, 255);
        int base = rnd_range(-128, 127 - spread);
        for (int i = 0; i < rows * depth; ++i) {
            in[i] = (int8_t)rnd_range(base, base + spread);
        }
        int32_t mult, shift, diff_min;
        softmax_params(beta, scale, &mult, &shift, &diff_min);
        edla_status st;
        run_softmax(in, out, rows, depth, mult, shift, diff_min, &st);
        CHECK(st == EDLA_OK, "softmax check %d", (int)st);
        if (st != EDLA_OK) {
            continue;
        }
        for (int r = 0; r < rows; ++r) {
            const int8_t *x = in + r * depth;
            int max = -128;
            for (int c = 0; c < depth; ++c) {
                max = x[c] > max ? x[c] : max;
            }
            double sum = 0;
            for (int c = 0; c < depth; ++c) {
                sum += dexp(beta * scale * (x[c] - max));
            }
            for (int c = 0; c < depth; ++c) {
                double p = dexp(beta * scale * (x[c] - max)) / sum;
                double ideal = dround(p * 256.0) - 128.0;
                ideal = ideal > 127 ? 127 : ideal;
                int diff = (int)dabs(out[r * depth + c] - ideal);
                worst = diff > worst ? diff : worst;
                CHECK(diff <= 1, "softmax depth %d scale %g: got %d ideal %g", depth, scale,
                      out[r * depth + c], ideal);
            }
        }
    }
    printf("softmax vs double: worst difference %d LSB\n", worst);

    /* a uniform row: every output is 1/depth */
    for (int depth = 1; depth <= 300; ++depth) {
        memset(in, 7, (size_t)depth);
        int32_t mult, shift, diff_min;
        softmax_params(1.0, 0.1, &mult, &shift, &diff_min);
        edla_status st;
        run_softmax(in, out, 1, depth, mult, shift, diff_min, &st);
        double ideal = dround(256.0 / depth) - 128.0;
        ideal = ideal > 127 ? 127 : ideal;
        CHECK(st == EDLA_OK && dabs(out[0] - ideal) <= 1, "uniform depth %d: %d vs %g", depth,
              out[0], ideal);
    }
    /* a sum of exps >= 512.0 (TFLM aborts): defined output, all -128 */
    memset(in, 0, 600);
    {
        int32_t mult, shift, diff_min;
        softmax_params(1.0, 0.1, &mult, &shift, &diff_min);
        edla_status st;
        run_softmax(in, out, 1, 600, mult, shift, diff_min, &st);
        int all = 1;
        for (int c = 0; c < 600; ++c) {
            all &= out[c] == -128;
        }
        CHECK(st == EDLA_OK && all, "long uniform row");
    }
    /* rejected parameters */
    {
        edla_status st;
        run_softmax(in, out, 1, 4, 1 << 30, 0, 1, &st);
        CHECK(st == EDLA_ERR_PARAM, "diff_min > 0 rejected");
        run_softmax(in, out, 1, 4, -1, 0, -10, &st);
        CHECK(st == EDLA_ERR_PARAM, "negative multiplier rejected");
        run_softmax(in, out, 1, 4, 1 << 30, 24, -255, &st);
        CHECK(st == EDLA_ERR_PARAM, "overflowing left shift rejected");
        run_softmax(in, out, 1, 4, 1 << 30, 23, -255, &st);
        CHECK(st == EDLA_OK, "largest safe left shift accepted");
    }
}

int main(void) {
    test_primitives();
    test_requantize();
    test_fixed_point_math();
    test_softmax();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
