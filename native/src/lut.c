/*
 * lut.c - any int8 -> int8 element-wise function as a 256-entry table.
 *
 * An int8 input takes only 256 values, so the converter runs TFLM's integer
 * reference of LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU, RELU, RELU6,
 * RELU_N1_TO_1 and int8 QUANTIZE (requantize) once per value and stores the
 * results: bit-exact by construction, one load per element here.
 */
#include "kernel_util.h"

enum { IN_INPUT, IN_TABLE, N_INPUTS };
#define LUT_SIZE 256

edla_status edla_check_lut(const edla_model *model, const edla_op *op) {
    const edla_status st = ku_check_operands(op, N_INPUTS, 0);
    if (st != EDLA_OK) {
        return st;
    }
    const edla_tensor *in = edla_in(model, op, IN_INPUT);
    const edla_tensor *table = edla_in(model, op, IN_TABLE);
    const edla_tensor *out = edla_out(model, op, 0);
    if (!ku_int8_io_ok(in, out) || table->dtype != EDLA_INT8 ||
        table->location != EDLA_LOC_CONST) {
        return EDLA_ERR_OPERAND;
    }
    if (ku_elements(table) != LUT_SIZE || ku_elements(in) != ku_elements(out)) {
        return EDLA_ERR_PARAM;
    }
    return EDLA_OK;
}

void edla_eval_lut(const edla_model *model, const edla_op *op, uint8_t *scratch,
                   edla_counters *counters) {
    (void)counters;
    const int8_t *in = (const int8_t *)edla_in_data(model, op, scratch, IN_INPUT);
    const int8_t *table = (const int8_t *)edla_in_data(model, op, scratch, IN_TABLE);
    int8_t *out = (int8_t *)edla_out_data(model, op, scratch, 0);
    const size_t n = ku_element_count(edla_in(model, op, IN_INPUT));
    for (size_t i = 0; i < n; ++i) {
        out[i] = table[in[i] + 128];
    }
}
