/*
 * kernels.h - internal interface between the dispatcher and the op kernels.
 *
 * Each op lives in one file with two functions:
 *   check: called once by the loader (blob.c) after every tensor record and
 *          operand index has been validated (indices are in range, dtypes and
 *          sizes consistent with dims, scratch tensors inside the plan). It
 *          verifies everything op-specific the eval relies on: ranks, shape
 *          agreement, parameter ranges, operand kinds. Returns EDLA_ERR_PARAM
 *          (or EDLA_ERR_OPERAND) when anything is off.
 *   eval:  called per inference by sim.c; trusts what check verified, adds
 *          the MACs it executed to the counters.
 */
#ifndef EDLA_KERNELS_H
#define EDLA_KERNELS_H

#include "edla.h"

typedef edla_status (*edla_check_fn)(const edla_model *model, const edla_op *op);
typedef void (*edla_eval_fn)(const edla_model *model, const edla_op *op, uint8_t *scratch,
                             edla_counters *counters);

/* Tensor record of operand i (in) / output i (out); the loader guarantees validity. */
static inline const edla_tensor *edla_in(const edla_model *m, const edla_op *op, unsigned i) {
    return op->in[i] == EDLA_NO_TENSOR ? (const edla_tensor *)0 : &m->tensors[op->in[i]];
}
static inline const edla_tensor *edla_out(const edla_model *m, const edla_op *op, unsigned i) {
    return &m->tensors[op->out[i]];
}
static inline const void *edla_in_data(const edla_model *m, const edla_op *op, uint8_t *scratch,
                                       unsigned i) {
    return op->in[i] == EDLA_NO_TENSOR ? (const void *)0 : edla_tensor_data(m, scratch, op->in[i]);
}
static inline void *edla_out_data(const edla_model *m, const edla_op *op, uint8_t *scratch,
                                  unsigned i) {
    return edla_tensor_data(m, scratch, op->out[i]);
}

#define EDLA_KERNEL(name)                                                            \
    edla_status edla_check_##name(const edla_model *model, const edla_op *op);       \
    void edla_eval_##name(const edla_model *model, const edla_op *op, uint8_t *scratch, \
                          edla_counters *counters)

EDLA_KERNEL(conv_2d);
EDLA_KERNEL(depthwise_conv_2d);
EDLA_KERNEL(fully_connected);
EDLA_KERNEL(average_pool_2d);
EDLA_KERNEL(max_pool_2d);
EDLA_KERNEL(add);
EDLA_KERNEL(softmax);
/* element-wise, activation and reduction ops (8..31) */
EDLA_KERNEL(mul);
EDLA_KERNEL(sub);
EDLA_KERNEL(squared_difference);
EDLA_KERNEL(maximum);
EDLA_KERNEL(minimum);
EDLA_KERNEL(prelu);
EDLA_KERNEL(lut);
EDLA_KERNEL(quantize);
EDLA_KERNEL(dequantize);
EDLA_KERNEL(reduce_sum);
EDLA_KERNEL(reduce_max);
/* data movement and structural ops (32..63) */
EDLA_KERNEL(pad);
EDLA_KERNEL(concatenation);
EDLA_KERNEL(transpose);
EDLA_KERNEL(strided_slice);
EDLA_KERNEL(gather);
EDLA_KERNEL(resize_nearest_neighbor);
EDLA_KERNEL(resize_bilinear);
EDLA_KERNEL(transpose_conv);
edla_status edla_check_dma(const edla_model *model, const edla_op *op);
/* DMA has no eval of the common shape: it needs external memory too. */
void edla_dma_copy(const edla_model *model, const edla_op *op, uint8_t *scratch, uint8_t *ext);
EDLA_KERNEL(pool_sum);
EDLA_KERNEL(pool_mean);
/* sparse weights and weight decoding (sparse.c) */
EDLA_KERNEL(dma_decode);
EDLA_KERNEL(conv_2d_sparse);
EDLA_KERNEL(depthwise_conv_2d_sparse);
EDLA_KERNEL(fully_connected_sparse);

#endif /* EDLA_KERNELS_H */
