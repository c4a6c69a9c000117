/*
 * sim.c - the NPU's dispatch loop and its counters.
 *
 * One call runs every op of a loaded model in order. Per layer the core
 * counts MACs (by the kernel), the bytes the layer streams from flash (its
 * constant operands: weights, biases, requantization tables) and models
 * cycles from the blob's NPU configuration (docs/cycle-model.md):
 *   compute = ceil(macs / macs_per_cycle), or ceil(elements / 16) for
 *             layers without MACs (the element-wise unit)
 *   dma     = ceil(dma_bytes * 256 / flash_bytes_per_cycle_q8)
 *   cycles  = max(compute, dma) + op_overhead_cycles  (DMA overlaps compute)
 * A DMA command (weights into the scratchpad) is double-buffered: it runs
 * while the previous layer computes, so only the part of its transfer that
 * outlasts that layer costs cycles, and it has no launch overhead. A
 * DMA_DECODE command is one too; its transfer takes
 *   max(ceil(compressed bytes / flash rate), ceil(decoded bytes / 8)).
 * Sparse layers count only executed MACs (sparse.c), so skipped MACs cost
 * no compute cycles, at the blob's sparsity_block granularity. With
 * EDLA_NPU_ACT_SPARSITY, flagged layers (EDLA_OP_FLAG_ACT_SPARSE) also skip
 * the blocks of sparsity_block MACs whose activations are all the zero point
 * (act_sparse.h), counted in macs_skipped_act: they cost no compute cycles
 * either. Zero detection is modelled as free (it sits in the operand fetch).
 * The converter's estimate assumes no zero activations, so it is an upper
 * bound of the measured total with the flag, and exact without it.
 *
 * CPU ops (EDLA_OP_FLAG_CPU: element-wise, activation, reduction and data
 * movement layers with no MAC-array fit) run on the Cortex-M55 beside the
 * NPU, as Vela's CPU fallbacks do. They are modelled in CPU cycles at the
 * same clock, with no NPU launch overhead and no DMA (the CPU reads its
 * constants, e.g. a LUT, itself):
 *   cycles  = elements * cpu_cycles_per_element[op] + EDLA_CPU_OP_OVERHEAD
 *   elements = the larger element count of input 0 and output 0
 * The per-element costs below are scalar M55 estimates (loads, the
 * arithmetic, requantization as ~4 cycles, store); an op code without an
 * entry costs EDLA_CPU_DEFAULT_CYCLES (a copy).
 */
#include <string.h>

#include "edla.h"
#include "host_fast.h"
#include "kernels.h"

/* Host: a weight transfer whose every reader runs from weights prepared at load
 * writes bytes nobody reads (host_plan.c proves it), so it is not copied; its
 * counters stay. An FC prepared at load is counted and run from its entry,
 * without its eval's per-op set-up. */
#if EDLA_HOST_FAST
#define HOST_SKIPS_COPY(model, i) edla_host_skips_copy(model, i)
#define HOST_EVAL(model, i, scratch, c) edla_host_eval(model, i, scratch, c)
#else
#define HOST_SKIPS_COPY(model, i) 0
#define HOST_EVAL(model, i, scratch, c) 0
#endif

#define EDLA_ELEMENTWISE_PER_CYCLE 16u
#define EDLA_CPU_OP_OVERHEAD 32u    /* call and operand set-up of one CPU kernel */
#define EDLA_CPU_DEFAULT_CYCLES 2u

static const uint8_t cpu_cycles_per_element[EDLA_OP_COUNT_] = {
    /* element-wise, activation and reduction ops (8..31) */
    [EDLA_OP_MUL] = 10,                /* offsets, multiply, one requantization, clamp */
    [EDLA_OP_SUB] = 16,                /* three requantizations, as ADD */
    [EDLA_OP_SQUARED_DIFFERENCE] = 18, /* three requantizations and a square */
    [EDLA_OP_MAXIMUM] = 3,
    [EDLA_OP_MINIMUM] = 3,
    [EDLA_OP_PRELU] = 10,
    [EDLA_OP_LUT] = 2,                 /* one table load */
    [EDLA_OP_QUANTIZE] = 20,           /* a float division (VDIV.F32 ~14 cycles) and rounding */
    [EDLA_OP_DEQUANTIZE] = 4,
    [EDLA_OP_REDUCE_SUM] = 2,          /* per input element: load and add */
    [EDLA_OP_REDUCE_MAX] = 2,
    /* data movement and structural ops (32..63) */
    [EDLA_OP_PAD] = 2,                 /* fill, then copy the input rows */
    [EDLA_OP_CONCATENATION] = 2,       /* a copy (requantized inputs cost more; not modelled) */
    [EDLA_OP_TRANSPOSE] = 3,           /* strided gather */
    [EDLA_OP_STRIDED_SLICE] = 3,
    [EDLA_OP_GATHER] = 2,
    [EDLA_OP_RESIZE_NEAREST_NEIGHBOR] = 2,
    [EDLA_OP_RESIZE_BILINEAR] = 12,    /* four loads, eight 64-bit multiplies, rounding */
};

/* Indexed by op code; a NULL entry is an unassigned code the loader refuses. */
const edla_check_fn edla_op_checks[EDLA_OP_COUNT_] = {
    [EDLA_OP_CONV_2D] = edla_check_conv_2d,
    [EDLA_OP_DEPTHWISE_CONV_2D] = edla_check_depthwise_conv_2d,
    [EDLA_OP_FULLY_CONNECTED] = edla_check_fully_connected,
    [EDLA_OP_AVERAGE_POOL_2D] = edla_check_average_pool_2d,
    [EDLA_OP_MAX_POOL_2D] = edla_check_max_pool_2d,
    [EDLA_OP_ADD] = edla_check_add,
    [EDLA_OP_SOFTMAX] = edla_check_softmax,
    /* element-wise, activation and reduction ops (8..31) */
    [EDLA_OP_MUL] = edla_check_mul,
    [EDLA_OP_SUB] = edla_check_sub,
    [EDLA_OP_SQUARED_DIFFERENCE] = edla_check_squared_difference,
    [EDLA_OP_MAXIMUM] = edla_check_maximum,
    [EDLA_OP_MINIMUM] = edla_check_minimum,
    [EDLA_OP_PRELU] = edla_check_prelu,
    [EDLA_OP_LUT] = edla_check_lut,
    [EDLA_OP_QUANTIZE] = edla_check_quantize,
    [EDLA_OP_DEQUANTIZE] = edla_check_dequantize,
    [EDLA_OP_REDUCE_SUM] = edla_check_reduce_sum,
    [EDLA_OP_REDUCE_MAX] = edla_check_reduce_max,
    /* data movement and structural ops (32..63) */
    [EDLA_OP_PAD] = edla_check_pad,
    [EDLA_OP_CONCATENATION] = edla_check_concatenation,
    [EDLA_OP_TRANSPOSE] = edla_check_transpose,
    [EDLA_OP_STRIDED_SLICE] = edla_check_strided_slice,
    [EDLA_OP_GATHER] = edla_check_gather,
    [EDLA_OP_RESIZE_NEAREST_NEIGHBOR] = edla_check_resize_nearest_neighbor,
    [EDLA_OP_RESIZE_BILINEAR] = edla_check_resize_bilinear,
    [EDLA_OP_TRANSPOSE_CONV] = edla_check_transpose_conv,
    [EDLA_OP_DMA] = edla_check_dma,
    [EDLA_OP_POOL_SUM] = edla_check_pool_sum,
    [EDLA_OP_DMA_DECODE] = edla_check_dma_decode,
    [EDLA_OP_CONV_2D_SPARSE] = edla_check_conv_2d_sparse,
    [EDLA_OP_DEPTHWISE_CONV_2D_SPARSE] = edla_check_depthwise_conv_2d_sparse,
    [EDLA_OP_FULLY_CONNECTED_SPARSE] = edla_check_fully_connected_sparse,
    [EDLA_OP_POOL_MEAN] = edla_check_pool_mean,
};

static const edla_eval_fn op_evals[EDLA_OP_COUNT_] = {
    [EDLA_OP_CONV_2D] = edla_eval_conv_2d,
    [EDLA_OP_DEPTHWISE_CONV_2D] = edla_eval_depthwise_conv_2d,
    [EDLA_OP_FULLY_CONNECTED] = edla_eval_fully_connected,
    [EDLA_OP_AVERAGE_POOL_2D] = edla_eval_average_pool_2d,
    [EDLA_OP_MAX_POOL_2D] = edla_eval_max_pool_2d,
    [EDLA_OP_ADD] = edla_eval_add,
    [EDLA_OP_SOFTMAX] = edla_eval_softmax,
    /* element-wise, activation and reduction ops (8..31) */
    [EDLA_OP_MUL] = edla_eval_mul,
    [EDLA_OP_SUB] = edla_eval_sub,
    [EDLA_OP_SQUARED_DIFFERENCE] = edla_eval_squared_difference,
    [EDLA_OP_MAXIMUM] = edla_eval_maximum,
    [EDLA_OP_MINIMUM] = edla_eval_minimum,
    [EDLA_OP_PRELU] = edla_eval_prelu,
    [EDLA_OP_LUT] = edla_eval_lut,
    [EDLA_OP_QUANTIZE] = edla_eval_quantize,
    [EDLA_OP_DEQUANTIZE] = edla_eval_dequantize,
    [EDLA_OP_REDUCE_SUM] = edla_eval_reduce_sum,
    [EDLA_OP_REDUCE_MAX] = edla_eval_reduce_max,
    /* data movement and structural ops (32..63) */
    [EDLA_OP_PAD] = edla_eval_pad,
    [EDLA_OP_CONCATENATION] = edla_eval_concatenation,
    [EDLA_OP_TRANSPOSE] = edla_eval_transpose,
    [EDLA_OP_STRIDED_SLICE] = edla_eval_strided_slice,
    [EDLA_OP_GATHER] = edla_eval_gather,
    [EDLA_OP_RESIZE_NEAREST_NEIGHBOR] = edla_eval_resize_nearest_neighbor,
    [EDLA_OP_RESIZE_BILINEAR] = edla_eval_resize_bilinear,
    [EDLA_OP_TRANSPOSE_CONV] = edla_eval_transpose_conv,
    /* EDLA_OP_DMA: run by edla_invoke_ext itself (edla_dma_copy) */
    [EDLA_OP_POOL_SUM] = edla_eval_pool_sum,
    [EDLA_OP_DMA_DECODE] = edla_eval_dma_decode,
    [EDLA_OP_CONV_2D_SPARSE] = edla_eval_conv_2d_sparse,
    [EDLA_OP_DEPTHWISE_CONV_2D_SPARSE] = edla_eval_depthwise_conv_2d_sparse,
    [EDLA_OP_FULLY_CONNECTED_SPARSE] = edla_eval_fully_connected_sparse,
    [EDLA_OP_POOL_MEAN] = edla_eval_pool_mean,
};

static uint32_t ceil_div(uint64_t a, uint64_t b) { /* b > 0: the loader refuses zero rates */
    uint64_t q;
#if defined(__GNUC__) || defined(__clang__)
    if ((b & (b - 1u)) == 0) { /* the NPU rates are powers of two: a shift, not a division per op */
        q = (a + b - 1u) >> __builtin_ctzll(b);
    } else
#endif
    {
        q = (a + b - 1u) / b;
    }
    return q > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)q;
}

static uint32_t const_bytes(const edla_model *m, const edla_op *op) {
    uint32_t bytes = 0, i;
    for (i = 0; i < op->n_in; i++)
        if (op->in[i] != EDLA_NO_TENSOR && m->tensors[op->in[i]].location == EDLA_LOC_CONST)
            bytes += m->tensors[op->in[i]].bytes; /* all within the CONST section: no overflow */
    return bytes;
}

static uint64_t element_count(const edla_tensor *t) {
    return (uint64_t)t->dims[0] * (uint64_t)t->dims[1] * (uint64_t)t->dims[2] *
           (uint64_t)t->dims[3]; /* unused dims are 1 */
}

static void cpu_op_cycles(const edla_model *m, const edla_op *op, edla_counters *c) {
    uint64_t elements = element_count(&m->tensors[op->out[0]]);
    if (op->n_in > 0 && op->in[0] != EDLA_NO_TENSOR) {
        const uint64_t in = element_count(&m->tensors[op->in[0]]);
        elements = in > elements ? in : elements;
    }
    const uint32_t cost = cpu_cycles_per_element[op->opcode] ? cpu_cycles_per_element[op->opcode]
                                                               : EDLA_CPU_DEFAULT_CYCLES;
    const uint64_t cycles = elements * cost + EDLA_CPU_OP_OVERHEAD; /* < 2^31 * 255 + 32 */
    c->cycles = cycles > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)cycles;
    c->dma_bytes = 0;
}

static void model_cycles(const edla_npu_config *npu, const edla_model *m, const edla_op *op,
                         edla_counters *c, uint32_t previous_cycles) {
    if (op->flags & EDLA_OP_FLAG_CPU) {
        cpu_op_cycles(m, op, c);
        return;
    }
    if (op->opcode == EDLA_OP_DMA || op->opcode == EDLA_OP_DMA_DECODE) {
        const int external = m->tensors[op->in[0]].location != EDLA_LOC_CONST;
        uint32_t transfer = ceil_div((uint64_t)c->dma_bytes * 256u,
                                     external ? npu->ext_bytes_per_cycle_q8 : npu->flash_bytes_per_cycle_q8);
        if (op->opcode == EDLA_OP_DMA_DECODE) { /* the decoder's output rate may be the limit */
            const uint32_t decode = ceil_div(m->tensors[op->out[0]].bytes, EDLA_DECODE_BYTES_PER_CYCLE);
            transfer = decode > transfer ? decode : transfer;
        }
        c->cycles = transfer > previous_cycles ? transfer - previous_cycles : 0;
        return;
    }
    /* a MAC layer whose activations were all skipped computes nothing */
    uint32_t compute = c->macs || c->macs_skipped_act ? ceil_div(c->macs, npu->macs_per_cycle)
                               : ceil_div(m->tensors[op->out[0]].bytes, EDLA_ELEMENTWISE_PER_CYCLE);
    uint32_t dma = ceil_div((uint64_t)c->dma_bytes * 256u, npu->flash_bytes_per_cycle_q8);
    c->cycles = (compute > dma ? compute : dma) + npu->op_overhead_cycles;
}

edla_status edla_invoke(const edla_model *model, uint8_t *scratchpad, edla_counters *counters) {
    return edla_invoke_ext(model, scratchpad, (uint8_t *)0, counters);
}

edla_status edla_invoke_ext(const edla_model *model, uint8_t *scratchpad, uint8_t *external,
                            edla_counters *counters) {
    return edla_invoke_cached(model, scratchpad, external, (const uint8_t *)0, counters);
}

uint32_t edla_decode_cache_bytes(const edla_model *model) {
    uint64_t bytes = 0;
    for (uint32_t i = 0; model && i < model->n_ops; i++)
        if (model->ops[i].opcode == EDLA_OP_DMA_DECODE) bytes += model->tensors[model->ops[i].out[0]].bytes;
    return bytes > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)bytes;
}

void edla_decode_cache_fill(const edla_model *model, uint8_t *scratchpad, uint8_t *cache) {
    uint32_t at = 0;
    for (uint32_t i = 0; i < model->n_ops; i++) {
        const edla_op *op = &model->ops[i];
        if (op->opcode != EDLA_OP_DMA_DECODE) continue;
        const edla_tensor *dst = &model->tensors[op->out[0]];
        op_evals[EDLA_OP_DMA_DECODE](model, op, scratchpad, (edla_counters *)0); /* reads flash only */
        memcpy(cache + at, edla_tensor_data(model, scratchpad, op->out[0]), dst->bytes);
        at += dst->bytes;
    }
}

edla_status edla_invoke_cached(const edla_model *model, uint8_t *scratchpad, uint8_t *external,
                               const uint8_t *cache, edla_counters *counters) {
    uint32_t i, previous_cycles = 0, cached = 0;
    edla_counters scratch_counter;
    if (!model || !model->header || !scratchpad || (model->ext_required && !external) ||
        (model->header->weight_buffer_required && !model->weight_buffer))
        return EDLA_ERR_NULL;
    if (((uintptr_t)scratchpad) % EDLA_ALIGN != 0 || ((uintptr_t)external) % EDLA_ALIGN != 0)
        return EDLA_ERR_ALIGN;
    for (i = 0; i < model->n_ops; i++) {
        const edla_op *op = &model->ops[i];
        edla_counters *c = counters ? &counters[i] : &scratch_counter;
        c->macs = c->macs_skipped = c->macs_skipped_act = c->cycles = 0;
        c->dma_bytes = const_bytes(model, op);
        if (op->opcode == EDLA_OP_DMA) {
            if (!HOST_SKIPS_COPY(model, i)) edla_dma_copy(model, op, scratchpad, external);
            c->dma_bytes = model->tensors[op->in[0]].bytes;
        } else if (op->opcode == EDLA_OP_DMA_DECODE && cache) {
            const uint32_t bytes = model->tensors[op->out[0]].bytes;
            if (!HOST_SKIPS_COPY(model, i))
                memcpy(edla_tensor_data(model, scratchpad, op->out[0]), cache + cached, bytes);
            cached += bytes;
        } else if (!HOST_EVAL(model, i, scratchpad, c)) {
            op_evals[op->opcode](model, op, scratchpad, c);
        }
        model_cycles(&model->header->npu, model, op, c, previous_cycles);
        previous_cycles = c->cycles;
    }
    return EDLA_OK;
}
