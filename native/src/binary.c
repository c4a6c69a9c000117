/*
 * binary.c - int8 MUL, SUB, SQUARED_DIFFERENCE, MAXIMUM and MINIMUM with
 * TFLite broadcasting, bit-exact with TFLM's reference kernels (integer Mul /
 * BroadcastMul6DSlow, Sub / BroadcastQuantSubSlow, squared_difference.cc,
 * maximum_minimum.cc).
 *
 * The five ops share their operand checks and the broadcast walk
 * (ku_broadcast_rows); each contributes the loop over one innermost row.
 * Broadcasting only changes which element pairs meet, so any walk order gives
 * TFLM's values.
 */
#include "kernel_util.h"

static void mul_row(const int8_t *a, size_t a_step, const int8_t *b, size_t b_step, int8_t *out,
                    size_t n, const int32_t *p) {
    const int32_t off_a = p[MUL_P_INPUT1_OFFSET], off_b = p[MUL_P_INPUT2_OFFSET];
    const int32_t mult = p[MUL_P_OUTPUT_MULTIPLIER], shift = p[MUL_P_OUTPUT_SHIFT];
    for (size_t i = 0; i < n; ++i) {
        /* |product| <= 255 * 255: no overflow before requantization */
        const int32_t product = (a[i * a_step] + off_a) * (b[i * b_step] + off_b);
        const int32_t v = requantize(product, mult, shift) + p[MUL_P_OUTPUT_OFFSET];
        out[i] = (int8_t)ku_clamp(v, p[MUL_P_ACT_MIN], p[MUL_P_ACT_MAX]);
    }
}

/* SUB / SQUARED_DIFFERENCE: both inputs on the common scale, subtracted (each
 * term below 255 * 2^22, so the difference fits int32 as ADD's sum does). */
static inline int32_t scaled_difference(int8_t x, int8_t y, int32_t scale, const int32_t *p) {
    return ku_scaled_input(x, p[ADD_P_INPUT1_OFFSET], scale, p[ADD_P_INPUT1_MULTIPLIER],
                           p[ADD_P_INPUT1_SHIFT]) -
           ku_scaled_input(y, p[ADD_P_INPUT2_OFFSET], scale, p[ADD_P_INPUT2_MULTIPLIER],
                           p[ADD_P_INPUT2_SHIFT]);
}

static void sub_row(const int8_t *a, size_t a_step, const int8_t *b, size_t b_step, int8_t *out,
                    size_t n, const int32_t *p) {
    const int32_t scale = (int32_t)1 << p[ADD_P_LEFT_SHIFT];
    for (size_t i = 0; i < n; ++i) {
        const int32_t diff = scaled_difference(a[i * a_step], b[i * b_step], scale, p);
        const int32_t v = multiply_by_quantized_multiplier_smaller_than_one(
                              diff, p[ADD_P_OUTPUT_MULTIPLIER], p[ADD_P_OUTPUT_SHIFT]) +
                          p[ADD_P_OUTPUT_OFFSET];
        out[i] = (int8_t)ku_clamp(v, p[ADD_P_ACT_MIN], p[ADD_P_ACT_MAX]);
    }
}

static void squared_difference_row(const int8_t *a, size_t a_step, const int8_t *b,
                                   size_t b_step, int8_t *out, size_t n, const int32_t *p) {
    const int32_t scale = (int32_t)1 << p[ADD_P_LEFT_SHIFT];
    for (size_t i = 0; i < n; ++i) {
        const int32_t diff = scaled_difference(a[i * a_step], b[i * b_step], scale, p);
        /* TFLM's multipliers (<= 1/2) keep |diff| <= 255 * 2^7, so the square fits
         * int32; squaring modulo 2^32 keeps other blob values defined */
        const int32_t square = u32_to_i32((uint32_t)diff * (uint32_t)diff);
        const int32_t v = requantize(square, p[ADD_P_OUTPUT_MULTIPLIER], p[ADD_P_OUTPUT_SHIFT]) +
                          p[ADD_P_OUTPUT_OFFSET];
        out[i] = (int8_t)ku_clamp(v, p[ADD_P_ACT_MIN], p[ADD_P_ACT_MAX]);
    }
}

static void maximum_row(const int8_t *a, size_t a_step, const int8_t *b, size_t b_step,
                        int8_t *out, size_t n, const int32_t *p) {
    (void)p;
    for (size_t i = 0; i < n; ++i) {
        const int8_t x = a[i * a_step], y = b[i * b_step];
        out[i] = x > y ? x : y;
    }
}

static void minimum_row(const int8_t *a, size_t a_step, const int8_t *b, size_t b_step,
                        int8_t *out, size_t n, const int32_t *p) {
    (void)p;
    for (size_t i = 0; i < n; ++i) {
        const int8_t x = a[i * a_step], y = b[i * b_step];
        out[i] = x < y ? x : y;
    }
}

/* ---- checks ------------------------------------------------------------------ */

edla_status edla_check_mul(const edla_model *model, const edla_op *op) {
    const edla_status st = ku_check_broadcast_op(model, op);
    if (st != EDLA_OK) {
        return st;
    }
    const int32_t *p = op->p;
    if (!ku_input_offset_ok(p[MUL_P_INPUT1_OFFSET]) || !ku_input_offset_ok(p[MUL_P_INPUT2_OFFSET]) ||
        !ku_output_offset_ok(p[MUL_P_OUTPUT_OFFSET]) ||
        !ku_requant_ok(p[MUL_P_OUTPUT_MULTIPLIER], p[MUL_P_OUTPUT_SHIFT]) ||
        !ku_act_range_ok(p[MUL_P_ACT_MIN], p[MUL_P_ACT_MAX])) {
        return EDLA_ERR_PARAM;
    }
    return EDLA_OK;
}

edla_status edla_check_sub(const edla_model *model, const edla_op *op) {
    /* ADD's parameters and bounds: the difference fits int32 as the sum does */
    return edla_check_add(model, op);
}

edla_status edla_check_squared_difference(const edla_model *model, const edla_op *op) {
    const edla_status st = ku_check_broadcast_op(model, op);
    if (st != EDLA_OK) {
        return st;
    }
    /* left_shift <= 7 (TFLM's int8 value) keeps each scaled input below 2^15 */
    if (!ku_add_params_ok(op->p, 7) ||
        !ku_requant_ok(op->p[ADD_P_OUTPUT_MULTIPLIER], op->p[ADD_P_OUTPUT_SHIFT])) {
        return EDLA_ERR_PARAM;
    }
    return EDLA_OK;
}

edla_status edla_check_maximum(const edla_model *model, const edla_op *op) {
    return ku_check_broadcast_op(model, op);
}

edla_status edla_check_minimum(const edla_model *model, const edla_op *op) {
    return ku_check_broadcast_op(model, op);
}

/* ---- evals ------------------------------------------------------------------- */

void edla_eval_mul(const edla_model *model, const edla_op *op, uint8_t *scratch,
                   edla_counters *counters) {
    (void)counters;
    ku_broadcast_rows(model, op, scratch, mul_row);
}

void edla_eval_sub(const edla_model *model, const edla_op *op, uint8_t *scratch,
                   edla_counters *counters) {
    (void)counters;
    ku_broadcast_rows(model, op, scratch, sub_row);
}

void edla_eval_squared_difference(const edla_model *model, const edla_op *op, uint8_t *scratch,
                                  edla_counters *counters) {
    (void)counters;
    ku_broadcast_rows(model, op, scratch, squared_difference_row);
}

void edla_eval_maximum(const edla_model *model, const edla_op *op, uint8_t *scratch,
                       edla_counters *counters) {
    (void)counters;
    ku_broadcast_rows(model, op, scratch, maximum_row);
}

void edla_eval_minimum(const edla_model *model, const edla_op *op, uint8_t *scratch,
                       edla_counters *counters) {
    (void)counters;
    ku_broadcast_rows(model, op, scratch, minimum_row);
}
