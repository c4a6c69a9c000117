/*
 * fully_connected.c - int8 FULLY_CONNECTED, bit-exact with TFLM
 * reference_integer_ops::FullyConnected (per-tensor, filter_offset = -filter
 * zero point) and FullyConnectedPerChannel (filter_offset 0).
 *
 * out[r][oc] = clamp(requant(sum_d (f[oc][d] + filter_offset) *
 *                            (x[r][d] + input_offset) + bias[oc]) + output_offset)
 * with rows = input elements / depth. The int32 accumulator wraps like TFLM's
 * (kept in uint32 to stay defined). Layers flagged EDLA_OP_FLAG_ACT_SPARSE
 * skip zero-point activations (act_sparse.h).
 */
#include "act_sparse.h"
#include "host_fast.h"

static int dims_positive(const edla_tensor *t) {
    for (unsigned i = 0; i < t->rank; ++i) {
        if (t->dims[i] < 1) {
            return 0;
        }
    }
    return t->rank >= 1;
}

edla_status edla_check_fully_connected(const edla_model *model, const edla_op *op) {
    edla_status st = ku_check_channel_op_operands(model, op);
    if (st != EDLA_OK) {
        return st;
    }
    const edla_tensor *in = edla_in(model, op, KU_IN_INPUT);
    const edla_tensor *filter = edla_in(model, op, KU_IN_FILTER);
    const edla_tensor *out = edla_out(model, op, 0);
    if (filter->rank != 2 || !dims_positive(filter) || !dims_positive(in) ||
        !dims_positive(out)) {
        return EDLA_ERR_PARAM;
    }
    const int32_t depth = filter->dims[1];
    const int64_t in_elems = ku_elements(in);
    if (in_elems % depth != 0 || ku_elements(out) % (in_elems / depth) != 0 ||
        ku_elements(out) / (in_elems / depth) > INT32_MAX) {
        return EDLA_ERR_PARAM;
    }
    const int32_t out_c = (int32_t)(ku_elements(out) / (in_elems / depth)); /* all units */
    if (!ku_channel_range_ok(op->p[FC_P_CHANNEL_BEGIN], op->p[FC_P_CHANNEL_END], out_c, 1,
                             filter->dims[0])) {
        return EDLA_ERR_PARAM;
    }
    if ((st = ku_check_channel_tables(model, op, out_c)) != EDLA_OK) {
        return st;
    }
    const int32_t *p = op->p;
    if (!ku_input_offset_ok(p[FC_P_INPUT_OFFSET]) || !ku_input_offset_ok(p[FC_P_FILTER_OFFSET]) ||
        !ku_output_offset_ok(p[FC_P_OUTPUT_OFFSET]) ||
        !ku_act_range_ok(p[FC_P_ACT_MIN], p[FC_P_ACT_MAX])) {
        return EDLA_ERR_PARAM;
    }
    return EDLA_OK;
}

void edla_eval_fully_connected(const edla_model *model, const edla_op *op, uint8_t *scratch,
                               edla_counters *counters) {
    ku_channel_op_data d;
    ku_channel_op_data_get(model, op, scratch, FC_P_INPUT_OFFSET, FC_P_OUTPUT_OFFSET,
                           FC_P_ACT_MIN, FC_P_ACT_MAX, FC_P_CHANNEL_BEGIN, &d);
    const int depth = (int)edla_in(model, op, KU_IN_FILTER)->dims[1];
    const size_t rows = ku_element_count(edla_in(model, op, KU_IN_INPUT)) / (size_t)depth;
    const size_t out_c = ku_element_count(edla_out(model, op, 0)) / rows; /* all units */
    const int32_t filter_offset = op->p[FC_P_FILTER_OFFSET];
    const int act = edla_act_flagged(op);
    const uint64_t co = (uint64_t)(d.c_end - d.c_begin);
    edla_act_count(counters, (uint64_t)rows * co * (uint64_t)depth,
                   act ? co * edla_act_zero_fc(d.input, rows, (size_t)depth, d.input_offset,
                                               edla_act_block(model)) : 0);
#if EDLA_HOST_FAST
    if (edla_host_run(model, op, d.input, d.out)) { /* prepared at load; counted above */
        return;
    }
#endif
#if EDLA_FAST_KERNELS
    if (edla_fast_fully_connected(&d, rows, out_c, depth, filter_offset)) {
        return;
    }
#endif

    for (size_t r = 0; r < rows; ++r) {
        const int8_t *x = d.input + r * (size_t)depth;
        int8_t *out = d.out + r * out_c;
        for (int oc = d.c_begin; oc < d.c_end; ++oc) {
            const int8_t *w = d.filter + (size_t)(oc - d.c_begin) * (size_t)depth;
            const uint32_t acc = act ? edla_act_dot(x, 1, w, 1, depth, d.input_offset, filter_offset)
                                     : ku_dot(x, 1, w, 1, depth, d.input_offset, filter_offset);
            out[oc] = ku_channel_output(&d, acc, oc);
        }
    }
}
