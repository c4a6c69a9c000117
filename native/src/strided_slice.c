/*
 * strided_slice.c - int8 STRIDED_SLICE, bit-exact with TFLM
 * reference_ops::StridedSlice; also SLICE, and SPLIT/SPLIT_V/UNPACK parts that
 * are not contiguous (contiguous ones are views and need no op).
 *
 * out[i0][i1][i2][i3] = in[b0 + i0*s0][b1 + i1*s1][b2 + i2*s2][b3 + i3*s3]
 * with begin b_d = SLICE_P_BEGIN_d and step s_d = SLICE_P_STRIDE_d (non-zero,
 * may be negative). The converter resolves TFLM's masks and negative indices
 * into begin/step and right-aligns shapes to 4-D. Values are moved unchanged.
 */
#include "kernel_util.h"

edla_status edla_check_strided_slice(const edla_model *model, const edla_op *op) {
    const edla_status st = ku_check_unary_operands(model, op);
    if (st != EDLA_OK) {
        return st;
    }
    const edla_tensor *in = edla_in(model, op, 0);
    const edla_tensor *out = edla_out(model, op, 0);
    /* eval sums five terms each below the input size in magnitude; 2^28 keeps
     * that inside a 32-bit ptrdiff_t */
    if (!ku_is_rank4(in) || !ku_is_rank4(out) || ku_elements(in) > ((int64_t)1 << 28)) {
        return EDLA_ERR_PARAM;
    }
    for (unsigned d = 0; d < 4; ++d) {
        const int64_t begin = op->p[SLICE_P_BEGIN_0 + d];
        const int64_t stride = op->p[SLICE_P_STRIDE_0 + d];
        const int64_t last = begin + (int64_t)(out->dims[d] - 1) * stride;
        /* first and last index in range: by linearity so is every index between;
         * |stride| <= dim keeps eval's step (stride * element stride) below 2^28 */
        if (stride == 0 || stride > in->dims[d] || -stride > in->dims[d] || begin < 0 ||
            begin >= in->dims[d] || last < 0 || last >= in->dims[d]) {
            return EDLA_ERR_PARAM;
        }
    }
    return EDLA_OK;
}

void edla_eval_strided_slice(const edla_model *model, const edla_op *op, uint8_t *scratch,
                             edla_counters *counters) {
    (void)counters; /* data movement: no MACs */
    ku_io io;
    ku_io_get(model, op, scratch, &io);
    /* element offsets in ptrdiff_t: steps may be negative, every index is in range
     * (and strides are below 2^28, so they convert exactly) */
    size_t in_stride[4];
    ku_strides4(io.in_t, in_stride);
    ptrdiff_t step[4], base = 0;
    for (unsigned d = 0; d < 4; ++d) {
        base += (ptrdiff_t)op->p[SLICE_P_BEGIN_0 + d] * (ptrdiff_t)in_stride[d];
        step[d] = (ptrdiff_t)op->p[SLICE_P_STRIDE_0 + d] * (ptrdiff_t)in_stride[d];
    }
    const int8_t *in = io.in;
    int8_t *out = io.out;
    const int32_t *od = io.out_t->dims;
    for (int32_t i0 = 0; i0 < od[0]; ++i0) {
        for (int32_t i1 = 0; i1 < od[1]; ++i1) {
            for (int32_t i2 = 0; i2 < od[2]; ++i2) {
                const ptrdiff_t row = base + i0 * step[0] + i1 * step[1] + i2 * step[2];
                for (int32_t i3 = 0; i3 < od[3]; ++i3) {
                    *out++ = in[row + i3 * step[3]];
                }
            }
        }
    }
}
