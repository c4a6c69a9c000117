/*
 * softmax.c - int8 -> int8 SOFTMAX over the last dim, bit-exact with TFLM
 * reference_ops::Softmax<int8_t, int8_t> (gemmlowp fixed point).
 *
 * Per row: diff = x - max(row). Entries with diff >= diff_min are scaled by
 * beta * input_scale into Q5.26 (input_multiplier, input_left_shift), exp'd
 * into Q0.31 and summed in Q12.19. The output is exp * (1 / sum) rounded to
 * 1/256 steps, offset by the output zero point -128 and clamped; entries below
 * diff_min output -128.
 */
#include "kernel_util.h"

enum {
    SCALED_DIFF_INTEGER_BITS = 5,  /* Q5.26 exp() input: diffs down to -32 */
    ACCUMULATION_INTEGER_BITS = 12 /* Q12.19 sum of exps: up to 4096 terms */
};

edla_status edla_check_softmax(const edla_model *model, const edla_op *op) {
    const edla_status st = ku_check_unary_operands(model, op);
    if (st != EDLA_OK) {
        return st;
    }
    const edla_tensor *in = edla_in(model, op, 0);
    const edla_tensor *out = edla_out(model, op, 0);
    if (in->rank < 1 || in->rank != out->rank) {
        return EDLA_ERR_PARAM;
    }
    for (unsigned i = 0; i < in->rank; ++i) {
        if (in->dims[i] < 1 || in->dims[i] != out->dims[i]) {
            return EDLA_ERR_PARAM;
        }
    }
    /* TFLM requires int8 softmax output scale 1/256, zero point -128; the
     * kernel bakes the zero point in. */
    if (out->zero_point != -128) {
        return EDLA_ERR_PARAM;
    }
    /* diff_min <= 0 keeps the row maximum in the sum (so it is > 0), and no
     * processed diff (>= max(diff_min, -255)) may overflow when shifted left. */
    const int32_t *p = op->p;
    const int32_t multiplier = p[SOFTMAX_P_INPUT_MULTIPLIER];
    const int32_t left_shift = p[SOFTMAX_P_INPUT_LEFT_SHIFT];
    const int32_t diff_min = p[SOFTMAX_P_DIFF_MIN];
    if (multiplier < 0 || left_shift < 0 || left_shift > 31 || diff_min > 0) {
        return EDLA_ERR_PARAM;
    }
    const int64_t largest_diff = diff_min < -255 ? 255 : -(int64_t)diff_min;
    if ((largest_diff << left_shift) > ((int64_t)1 << 31)) {
        return EDLA_ERR_PARAM;
    }
    return EDLA_OK;
}

/* exp(diff * beta * input_scale) in Q0.31, for diff in [diff_min, 0]. */
static inline int32_t exp_of_diff(int32_t diff, int32_t multiplier, int left_shift) {
    const int32_t scaled_diff =
        multiply_by_quantized_multiplier_greater_than_one(diff, multiplier, left_shift);
    return exp_on_negative_values(scaled_diff, SCALED_DIFF_INTEGER_BITS);
}

void edla_eval_softmax(const edla_model *model, const edla_op *op, uint8_t *scratch,
                       edla_counters *counters) {
    (void)counters; /* softmax performs no MACs */
    const edla_tensor *in_t = edla_in(model, op, 0);
    const int8_t *input = (const int8_t *)edla_in_data(model, op, scratch, 0);
    int8_t *output = (int8_t *)edla_out_data(model, op, scratch, 0);
    const int depth = (int)in_t->dims[in_t->rank - 1];
    const size_t rows = ku_element_count(in_t) / (size_t)depth;
    const int32_t multiplier = op->p[SOFTMAX_P_INPUT_MULTIPLIER];
    const int left_shift = (int)op->p[SOFTMAX_P_INPUT_LEFT_SHIFT];
    const int32_t diff_min = op->p[SOFTMAX_P_DIFF_MIN];

    for (size_t r = 0; r < rows; ++r) {
        const int8_t *x = input + r * (size_t)depth;
        int8_t *y = output + r * (size_t)depth;

        int32_t max_in_row = -128;
        for (int c = 0; c < depth; ++c) {
            max_in_row = x[c] > max_in_row ? x[c] : max_in_row;
        }

        /* Q12.19 sum; int64 so that long rows cannot overflow (see below). */
        int64_t sum_of_exps = 0;
        for (int c = 0; c < depth; ++c) {
            const int32_t diff = x[c] - max_in_row;
            if (diff >= diff_min) {
                sum_of_exps += rescale(exp_of_diff(diff, multiplier, left_shift), 0,
                                       ACCUMULATION_INTEGER_BITS);
            }
        }

        /* TFLM needs the output exponent num_bits_over_unit + 23 to be <= 31,
         * i.e. a sum below 2^28 (512.0), and aborts otherwise (its int32 sum
         * may even wrap first). Every output would then round to 0 / 256:
         * emit -128, the value the formula gives for any exponent >= 32. */
        if (sum_of_exps >= ((int64_t)1 << 28)) {
            for (int c = 0; c < depth; ++c) {
                y[c] = -128;
            }
            continue;
        }
        int num_bits_over_unit;
        const int32_t shifted_scale =
            get_reciprocal((int32_t)sum_of_exps, ACCUMULATION_INTEGER_BITS, &num_bits_over_unit);
        const int exponent = num_bits_over_unit + 31 - 8; /* in [0, 31]: sum in [2^19, 2^28) */

        for (int c = 0; c < depth; ++c) {
            const int32_t diff = x[c] - max_in_row;
            if (diff >= diff_min) {
                const int32_t unsat = rounding_divide_by_pot(
                    saturating_rounding_doubling_high_mul(
                        shifted_scale, exp_of_diff(diff, multiplier, left_shift)),
                    exponent);
                const int32_t v = unsat - 128;
                y[c] = (int8_t)ku_clamp(v, -128, 127);
            } else {
                y[c] = -128;
            }
        }
    }
}
