/*
 * resize_bilinear.c - int8 RESIZE_BILINEAR, bit-exact with TFLM
 * reference_ops::ResizeBilinearInteger (the int8 path, no floating point).
 *
 * Source coordinates are in 1/1024 units: v * scale (+ scale / 2 - 512 with
 * half-pixel centers), where RESIZE_P_SCALE_H/W are TFLM's scale_10 values
 * (align_corners already folded in by the converter). The four neighbours are
 * weighted in int64 and the sum is divided by 2^20, rounding half away from
 * zero (TFLM's default, double-rounding build). Values keep the input's
 * quantization, as in TFLM.
 */
#include "kernel_util.h"

/* Source coordinate (1/1024 units) of output index v and its two neighbours. */
static void source(int32_t v, int32_t scale, int half_pixel, int32_t size, int32_t *pos,
                   int32_t *lo, int32_t *hi) {
    *pos = half_pixel ? v * scale + scale / 2 - (1 << 9) : v * scale;
    const int32_t l = *pos / (1 << 10); /* C division truncates, as TFLM's */
    const int32_t h = (*pos + (1 << 10) - 1) / (1 << 10);
    *lo = l > 0 ? l : 0;
    *hi = h < size - 1 ? h : size - 1;
}

/* Every coordinate of one axis fits an int32 and its lower neighbour is inside
 * the input (positions grow with v since scale >= 0, so the last one bounds all;
 * the upper neighbour is clamped like TFLM's, and positions are >= -512). */
static int axis_ok(int32_t scale, int half_pixel, int32_t in, int32_t out) {
    if (scale < 0) {
        return 0;
    }
    const int64_t last = (int64_t)(out - 1) * scale + (half_pixel ? scale / 2 - (1 << 9) : 0);
    return last + (1 << 10) <= INT32_MAX && last / (1 << 10) <= (int64_t)in - 1;
}

edla_status edla_check_resize_bilinear(const edla_model *model, const edla_op *op) {
    const edla_status st = ku_check_unary_operands(model, op);
    if (st != EDLA_OK) {
        return st;
    }
    const edla_tensor *in = edla_in(model, op, 0);
    const edla_tensor *out = edla_out(model, op, 0);
    const int32_t half_pixel = op->p[RESIZE_P_HALF_PIXEL];
    if (!ku_resize_shapes_ok(in, out) || (half_pixel != 0 && half_pixel != 1) ||
        !axis_ok(op->p[RESIZE_P_SCALE_H], half_pixel, in->dims[1], out->dims[1]) ||
        !axis_ok(op->p[RESIZE_P_SCALE_W], half_pixel, in->dims[2], out->dims[2])) {
        return EDLA_ERR_PARAM;
    }
    return EDLA_OK;
}

void edla_eval_resize_bilinear(const edla_model *model, const edla_op *op, uint8_t *scratch,
                               edla_counters *counters) {
    (void)counters; /* interpolation weights are not MACs of the array */
    ku_io io;
    ku_io_get(model, op, scratch, &io);
    const edla_tensor *out_t = io.out_t;
    int8_t *out = io.out;
    const int half_pixel = op->p[RESIZE_P_HALF_PIXEL];
    const int32_t scale_h = op->p[RESIZE_P_SCALE_H], scale_w = op->p[RESIZE_P_SCALE_W];
    const int32_t in_h = io.in_t->dims[1], in_w = io.in_t->dims[2];
    size_t s[4]; /* batch, row and pixel strides of the input */
    ku_strides4(io.in_t, s);
    const size_t batch_stride = s[0], row_stride = s[1], depth = s[2];
    const int64_t one = 1 << 10;

    for (int32_t b = 0; b < out_t->dims[0]; ++b) {
        const int8_t *in_b = io.in + (size_t)b * batch_stride;
        for (int32_t y = 0; y < out_t->dims[1]; ++y) {
            int32_t pos_y, y0, y1;
            source(y, scale_h, half_pixel, in_h, &pos_y, &y0, &y1);
            const int64_t dy = pos_y - (int64_t)y0 * one; /* weight of row y1, 1/1024 units */
            for (int32_t x = 0; x < out_t->dims[2]; ++x) {
                int32_t pos_x, x0, x1;
                source(x, scale_w, half_pixel, in_w, &pos_x, &x0, &x1);
                const int64_t dx = pos_x - (int64_t)x0 * one;
                const int8_t *p00 = in_b + (size_t)y0 * row_stride + (size_t)x0 * depth;
                const int8_t *p10 = in_b + (size_t)y1 * row_stride + (size_t)x0 * depth;
                const int8_t *p01 = in_b + (size_t)y0 * row_stride + (size_t)x1 * depth;
                const int8_t *p11 = in_b + (size_t)y1 * row_stride + (size_t)x1 * depth;
                for (size_t c = 0; c < depth; ++c) {
                    const int64_t sum = p00[c] * (one - dy) * (one - dx) + p10[c] * dy * (one - dx) +
                                        p01[c] * (one - dy) * dx + p11[c] * dy * dx;
                    const int64_t round = sum > 0 ? (1 << 19) : -(1 << 19);
                    /* a convex combination of int8 values: always in int8 range */
                    *out++ = (int8_t)((sum + round) / (1 << 20));
                }
            }
        }
    }
}
