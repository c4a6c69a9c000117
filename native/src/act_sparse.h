/*
 * act_sparse.h - activation sparsity (EDLA_OP_FLAG_ACT_SPARSE): the MAC
 * array skips blocks of MACs whose activations are all the zero point
 * (edla.h, EDLA_NPU_ACT_SPARSITY). An activation x with x + input_offset == 0
 * adds nothing to the sum, so outputs stay bit-exact whether or not a loop
 * skips it; only the counters depend on the skip.
 *
 * The counting passes below are shared by the dense kernels and their fast
 * paths (host_x86.c, mve.c), which may compute a flagged layer densely: the
 * kernel counts first, with these functions, so the counters are exact
 * whichever loop computes the outputs.
 */
#ifndef EDLA_ACT_SPARSE_H
#define EDLA_ACT_SPARSE_H

#include "kernel_util.h"

/* The op skips zero activations (the loader allowed the flag only where it may). */
static inline int edla_act_flagged(const edla_op *op) {
    return (op->flags & EDLA_OP_FLAG_ACT_SPARSE) != 0;
}

/* MACs per skip block: the header's sparsity_block, at least 1. */
static inline uint32_t edla_act_block(const edla_model *model) {
    return model->header->sparsity_block > 1u ? model->header->sparsity_block : 1u;
}

/* Counts a layer of `executed` MACs (after any zero-weight skip) of which
 * `skipped` read only zero-point activations: macs += executed - skipped,
 * macs_skipped_act += skipped (skipped is clamped to executed). Saturating. */
static inline void edla_act_count(edla_counters *counters, uint64_t executed, uint64_t skipped) {
    if (counters == 0) {
        return;
    }
    skipped = skipped < executed ? skipped : executed;
    ku_count(&counters->macs, executed - skipped);
    ku_count(&counters->macs_skipped_act, skipped);
}

/* Counts a layer of `units` units (output pixels or rows) of dense_per_unit
 * MACs, of which exec_per_unit execute (clamped to dense_per_unit; the rest
 * are zero weights: macs_skipped) and `skipped` read only zero-point
 * activations (edla_act_count). Sparse layers (sparse.c) and the host's
 * prepared FC layers (host_x86.c edla_host_eval) count this way. */
static inline void edla_exec_count(edla_counters *counters, uint64_t units, uint64_t dense_per_unit,
                                   uint64_t exec_per_unit, uint64_t skipped) {
    const uint64_t exec = exec_per_unit < dense_per_unit ? exec_per_unit : dense_per_unit;
    edla_act_count(counters, units * exec, skipped);
    if (counters != 0) {
        ku_count(&counters->macs_skipped, units * (dense_per_unit - exec));
    }
}

/* ku_dot without the terms whose activation is the zero point (same sum). */
static inline uint32_t edla_act_dot(const int8_t *x, size_t x_step, const int8_t *w, size_t w_step,
                                    int n, int32_t x_offset, int32_t w_offset) {
    uint32_t acc = 0;
    for (int i = 0; i < n; ++i) {
        const int32_t a = x[(size_t)i * x_step] + x_offset;
        if (a != 0) {
            acc += (uint32_t)((w[(size_t)i * w_step] + w_offset) * a);
        }
    }
    return acc;
}

/* 1 if x[0], x[step], ... x[(n-1)*step] all equal zp (n >= 1). */
static inline int edla_act_all_zero(const int8_t *x, size_t step, size_t n, int8_t zp) {
    for (size_t i = 0; i < n; ++i) {
        if (x[i * step] != zp) {
            return 0;
        }
    }
    return 1;
}

/* MACs of one output channel a dense CONV_2D skips: over every output pixel
 * and tap (padding taps: all in_c), the blocks of `block` input channels whose
 * activations are all the zero point. Multiply by the channels computed. */
uint64_t edla_act_zero_conv(const ku_channel_op_data *d, const ku_window *g, uint32_t block);

/* MACs a dense DEPTHWISE_CONV_2D skips: per output pixel and tap, the blocks of
 * `block` chunk channels (from d->c_begin) whose inputs x[oc / dm] are all the
 * zero point (padding taps: every chunk channel). */
uint64_t edla_act_zero_depthwise(const ku_channel_op_data *d, const ku_window *g, int dm,
                                 uint32_t block);

/* MACs of one output channel a dense FULLY_CONNECTED skips: per row of `depth`
 * inputs, the blocks of `block` whose activations are all the zero point. */
uint64_t edla_act_zero_fc(const int8_t *input, size_t rows, size_t depth, int32_t input_offset,
                          uint32_t block);

#endif /* EDLA_ACT_SPARSE_H */
