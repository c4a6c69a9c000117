/*
 * quantize.c - QUANTIZE (float32 -> int8) and DEQUANTIZE (int8 -> float32) at
 * a model's float edges, bit-exact with TFLM reference_ops::AffineQuantize
 * and Dequantize.
 *
 * The only float code of the core (the Cortex-M55 has a single-precision
 * FPU). One IEEE float32 division or multiplication per element, each
 * correctly rounded, so host and board agree: TFLM's double product
 * scale * (x - zero_point) is exact before its rounding to float, hence equal
 * to the float32 product. No libm: rounding is done here.
 */
#include <string.h>

#include "kernel_util.h"

static float param_scale(const edla_op *op) {
    const uint32_t bits = (uint32_t)op->p[QUANT_P_SCALE_BITS];
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return scale;
}

/* A positive, finite scale (NaN fails both comparisons) and an int8 zero point. */
static edla_status check_params(const edla_op *op) {
    const float scale = param_scale(op);
    return scale > 0.0f && scale <= 3.40282347e38f && ku_output_offset_ok(op->p[QUANT_P_ZERO_POINT])
               ? EDLA_OK
               : EDLA_ERR_PARAM;
}

static edla_status check_edge_op(const edla_model *model, const edla_op *op, uint8_t in_dtype,
                                 uint8_t out_dtype) {
    const edla_status st = ku_check_operands(op, 1, 0);
    if (st != EDLA_OK) {
        return st;
    }
    const edla_tensor *in = edla_in(model, op, 0);
    const edla_tensor *out = edla_out(model, op, 0);
    if (in->dtype != in_dtype || out->dtype != out_dtype || out->location != EDLA_LOC_SCRATCH) {
        return EDLA_ERR_OPERAND;
    }
    if (ku_elements(in) != ku_elements(out)) {
        return EDLA_ERR_PARAM;
    }
    return check_params(op);
}

edla_status edla_check_quantize(const edla_model *model, const edla_op *op) {
    return check_edge_op(model, op, EDLA_FLOAT32, EDLA_INT8);
}

edla_status edla_check_dequantize(const edla_model *model, const edla_op *op) {
    return check_edge_op(model, op, EDLA_INT8, EDLA_FLOAT32);
}

/* round(v), halves away from zero, for |v| < 2^23 (std::round on float):
 * the truncation and the fraction v - t are both exact. */
static float round_half_away(float v) {
    const float t = (float)(int32_t)v;
    const float frac = v - t;
    return frac >= 0.5f ? t + 1.0f : frac <= -0.5f ? t - 1.0f : t;
}

/* TFLM: clamp((int32_t)round(v / scale) + zero_point). Values whose quotient
 * leaves int32 are undefined behaviour there; here they saturate (NaN gives
 * the zero point). */
static int8_t quantize_one(float v, float scale, int32_t zero_point) {
    const float q = v / scale;
    if (q != q) {
        return (int8_t)zero_point;
    }
    if (q >= 256.0f) {
        return 127;
    }
    if (q <= -256.0f) {
        return -128;
    }
    return (int8_t)ku_clamp((int32_t)round_half_away(q) + zero_point, -128, 127);
}

void edla_eval_quantize(const edla_model *model, const edla_op *op, uint8_t *scratch,
                        edla_counters *counters) {
    (void)counters;
    const float *in = (const float *)edla_in_data(model, op, scratch, 0);
    int8_t *out = (int8_t *)edla_out_data(model, op, scratch, 0);
    const size_t n = ku_element_count(edla_in(model, op, 0));
    const float scale = param_scale(op);
    const int32_t zero_point = op->p[QUANT_P_ZERO_POINT];
    for (size_t i = 0; i < n; ++i) {
        out[i] = quantize_one(in[i], scale, zero_point);
    }
}

void edla_eval_dequantize(const edla_model *model, const edla_op *op, uint8_t *scratch,
                          edla_counters *counters) {
    (void)counters;
    const int8_t *in = (const int8_t *)edla_in_data(model, op, scratch, 0);
    float *out = (float *)edla_out_data(model, op, scratch, 0);
    const size_t n = ku_element_count(edla_in(model, op, 0));
    const float scale = param_scale(op);
    const int32_t zero_point = op->p[QUANT_P_ZERO_POINT];
    for (size_t i = 0; i < n; ++i) {
        out[i] = (float)(in[i] - zero_point) * scale;
    }
}
