/*
 * resize_nearest_neighbor.c - int8 RESIZE_NEAREST_NEIGHBOR, bit-exact with
 * TFLM reference_ops::ResizeNearestNeighbor.
 *
 * TFLM picks each output row/column's source with float arithmetic
 * (align_corners, half_pixel_centers); that depends only on the sizes, so the
 * converter evaluates it once and passes the source row of every output row
 * (int32 [Ho]) and the source column of every output column (int32 [Wo]).
 * The core then only copies pixels: out[b][y][x][:] = in[b][rows[y]][cols[x]][:].
 */
#include <string.h>

#include "kernel_util.h"

enum { IN_INPUT, IN_ROWS, IN_COLS, N_INPUTS };

/* A constant int32 map of n entries, each in [0, limit). */
static edla_status check_map(const edla_model *model, const edla_tensor *t, int32_t n,
                             int32_t limit) {
    const edla_status st = ku_check_i32_table(t, n);
    if (st != EDLA_OK) {
        return st;
    }
    const int32_t *map = (const int32_t *)(const void *)(model->consts + t->offset);
    for (int32_t i = 0; i < n; ++i) {
        if (map[i] < 0 || map[i] >= limit) {
            return EDLA_ERR_PARAM;
        }
    }
    return EDLA_OK;
}

edla_status edla_check_resize_nearest_neighbor(const edla_model *model, const edla_op *op) {
    edla_status st = ku_check_operands(op, N_INPUTS, 0);
    if (st != EDLA_OK) {
        return st;
    }
    const edla_tensor *in = edla_in(model, op, IN_INPUT);
    const edla_tensor *out = edla_out(model, op, 0);
    if (!ku_int8_io_ok(in, out)) {
        return EDLA_ERR_OPERAND;
    }
    if (!ku_is_4d(in) || !ku_is_4d(out) || in->dims[0] != out->dims[0] ||
        in->dims[3] != out->dims[3]) {
        return EDLA_ERR_PARAM;
    }
    if ((st = check_map(model, edla_in(model, op, IN_ROWS), out->dims[1], in->dims[1])) != EDLA_OK ||
        (st = check_map(model, edla_in(model, op, IN_COLS), out->dims[2], in->dims[2])) != EDLA_OK) {
        return st;
    }
    return EDLA_OK;
}

void edla_eval_resize_nearest_neighbor(const edla_model *model, const edla_op *op,
                                       uint8_t *scratch, edla_counters *counters) {
    (void)counters; /* data movement: no MACs */
    const edla_tensor *in_t = edla_in(model, op, IN_INPUT);
    const edla_tensor *out_t = edla_out(model, op, 0);
    const int8_t *in = (const int8_t *)edla_in_data(model, op, scratch, IN_INPUT);
    const int32_t *rows = (const int32_t *)edla_in_data(model, op, scratch, IN_ROWS);
    const int32_t *cols = (const int32_t *)edla_in_data(model, op, scratch, IN_COLS);
    int8_t *out = (int8_t *)edla_out_data(model, op, scratch, 0);
    const size_t depth = (size_t)in_t->dims[3];
    const size_t row_stride = (size_t)in_t->dims[2] * depth;
    const size_t batch_stride = (size_t)in_t->dims[1] * row_stride;
    for (int32_t b = 0; b < out_t->dims[0]; ++b) {
        for (int32_t y = 0; y < out_t->dims[1]; ++y) {
            const int8_t *src_row = in + (size_t)b * batch_stride + (size_t)rows[y] * row_stride;
            for (int32_t x = 0; x < out_t->dims[2]; ++x) {
                memmove(out, src_row + (size_t)cols[x] * depth, depth); /* may overlap if hostile */
                out += depth;
            }
        }
    }
}
