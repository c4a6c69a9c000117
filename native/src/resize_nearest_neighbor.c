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
#include "kernel_util.h"

enum { IN_INPUT, IN_ROWS, IN_COLS, N_INPUTS };

/* A constant int32 map of n entries, each in [0, limit). */
static edla_status check_map(const edla_model *model, const edla_tensor *t, int32_t n,
                             int32_t limit) {
    const edla_status st = ku_check_i32_table(t, n);
    if (st != EDLA_OK) {
        return st;
    }
    return ku_indices_ok(ku_i32_const(model, t), (size_t)n, limit) ? EDLA_OK : EDLA_ERR_PARAM;
}

edla_status edla_check_resize_nearest_neighbor(const edla_model *model, const edla_op *op) {
    edla_status st = ku_check_int8_operands(model, op, N_INPUTS);
    if (st != EDLA_OK) {
        return st;
    }
    const edla_tensor *in = edla_in(model, op, IN_INPUT);
    const edla_tensor *out = edla_out(model, op, 0);
    if (!ku_resize_shapes_ok(in, out)) {
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
    ku_io io;
    ku_io_get(model, op, scratch, &io);
    const int32_t *rows = (const int32_t *)edla_in_data(model, op, scratch, IN_ROWS);
    const int32_t *cols = (const int32_t *)edla_in_data(model, op, scratch, IN_COLS);
    size_t s[4]; /* batch, row and pixel strides of the input */
    ku_strides4(io.in_t, s);
    int8_t *out = io.out;
    for (int32_t b = 0; b < io.out_t->dims[0]; ++b) {
        for (int32_t y = 0; y < io.out_t->dims[1]; ++y) {
            const int8_t *src_row = io.in + (size_t)b * s[0] + (size_t)rows[y] * s[1];
            out = ku_gather_runs(out, src_row, cols, (size_t)io.out_t->dims[2], s[2]);
        }
    }
}
