/*
 * host_plan.c - prepares, once at load, the weighted layers of a model for the
 * host's fast kernels (host_fast.h: hp_op; host_x86.c runs them).
 *
 * A layer is prepared only when its weights are provably the same bytes on
 * every invoke: a constant tensor, or a scratchpad or weight-buffer tensor whose
 * last writer before the layer (of any op output overlapping its bytes, in op order) is a
 * DMA from flash or a DMA_DECODE writing exactly that tensor. The layer's own
 * output must not overlap its weights. Anything else keeps its eval.
 * Counters are untouched: the evals count, then offer the work to
 * edla_host_run (conv_2d.c, depthwise_conv_2d.c, fully_connected.c, sparse.c).
 */
#include <stdlib.h>
#include <string.h>

#include "act_sparse.h"
#include "host_fast.h"

#if EDLA_HOST_FAST

/* Tensors sharing bytes of one writable memory (the scratchpad or the NPU weight buffer). */
static int overlaps(const edla_tensor *a, const edla_tensor *b) {
    return a->location == b->location &&
           (a->location == EDLA_LOC_SCRATCH || a->location == EDLA_LOC_WBUF) &&
           a->offset < b->offset + b->bytes && b->offset < a->offset + a->bytes;
}

/* Offset in the decode cache of each DMA_DECODE op's output (as sim.c fills it). */
static uint32_t cache_offset(const edla_model *m, uint32_t op_index) {
    uint32_t at = 0;
    for (uint32_t i = 0; i < op_index; i++)
        if (m->ops[i].opcode == EDLA_OP_DMA_DECODE) at += m->tensors[m->ops[i].out[0]].bytes;
    return at;
}

/* The bytes tensor ti holds when op `at` runs, if constant; else NULL. */
static const uint8_t *constant_bytes(const edla_model *m, const uint8_t *cache, uint32_t at,
                                     uint16_t ti) {
    const edla_tensor *t = &m->tensors[ti];
    if (t->location == EDLA_LOC_CONST) return m->consts + t->offset;
    if (t->location != EDLA_LOC_SCRATCH && t->location != EDLA_LOC_WBUF) return (const uint8_t *)0;
    for (uint32_t o = 0; o < m->ops[at].n_out; o++)
        if (overlaps(&m->tensors[m->ops[at].out[o]], t)) return (const uint8_t *)0;
    for (uint32_t i = at; i-- > 0;) {
        const edla_op *w = &m->ops[i];
        for (uint32_t o = 0; o < w->n_out; o++) {
            const edla_tensor *dst = &m->tensors[w->out[o]];
            if (!overlaps(dst, t)) continue;
            if (dst->offset != t->offset || dst->bytes != t->bytes) return (const uint8_t *)0;
            if (w->opcode == EDLA_OP_DMA && m->tensors[w->in[0]].location == EDLA_LOC_CONST)
                return m->consts + m->tensors[w->in[0]].offset;
            if (w->opcode == EDLA_OP_DMA_DECODE && cache) return cache + cache_offset(m, i);
            return (const uint8_t *)0;
        }
    }
    return (const uint8_t *)0; /* not written in this invoke: whatever the last one left */
}

/* A depthwise layer over one input channel is a conv with K = k_h * k_w: its
 * filter [k_h * k_w][co] transposed to [co][k_h * k_w] (owned by the entry). */
static int depthwise_as_conv(hp_op *e, void **owned) {
    const size_t co = (size_t)(e->d.c_end - e->d.c_begin), k = (size_t)e->g.k_h * (size_t)e->g.k_w;
    int8_t *filter = (int8_t *)malloc(co * k);
    if (!filter) return -1;
    *owned = filter;
    for (size_t c = 0; c < co; c++)
        for (size_t t = 0; t < k; t++) filter[c * k + t] = e->d.filter[t * co + c];
    e->d.filter = filter;
    e->kind = HP_CONV;
    return 1;
}

/* Dense conv / depthwise / FC: weights from their source, tables constant (checked). */
static int prepare_dense(const edla_model *m, const uint8_t *cache, uint32_t at, hp_op *e,
                         void **owned) {
    const edla_op *op = &m->ops[at];
    const int8_t *filter = (const int8_t *)constant_bytes(m, cache, at, op->in[KU_IN_FILTER]);
    if (!filter) return 0;
    if (op->opcode == EDLA_OP_FULLY_CONNECTED) {
        if (op->p[FC_P_FILTER_OFFSET] != 0) return 0;
        ku_channel_op_data_get(m, op, (uint8_t *)0, FC_P_INPUT_OFFSET, FC_P_OUTPUT_OFFSET,
                               FC_P_ACT_MIN, FC_P_ACT_MAX, FC_P_CHANNEL_BEGIN, &e->d);
        e->depth = (size_t)edla_in(m, op, KU_IN_FILTER)->dims[1];
        e->rows = ku_element_count(edla_in(m, op, KU_IN_INPUT)) / e->depth;
        e->out_c = ku_element_count(edla_out(m, op, 0)) / e->rows;
        e->kind = HP_FC;
    } else {
        ku_conv_setup(m, op, (uint8_t *)0, &e->d, &e->g);
        e->depth_multiplier = (int)op->p[CONV_P_DEPTH_MULTIPLIER];
        e->kind = op->opcode == EDLA_OP_CONV_2D ? HP_CONV : HP_DEPTHWISE;
    }
    e->d.filter = filter;
    /* one input channel: the multiplier is out_c and the chunk all channels (checked) */
    return e->kind == HP_DEPTHWISE && e->g.in_c == 1 ? depthwise_as_conv(e, owned) : 1;
}

/* Sparse and packed-dense layers: expanded to a dense filter and tables the entry owns. */
static int prepare_sparse(const edla_model *m, const uint8_t *cache, uint32_t at, hp_op *e,
                          void **owned) {
    const edla_op *op = &m->ops[at];
    const int32_t *p = op->p;
    const uint8_t *packed = constant_bytes(m, cache, at, op->in[1]);
    if (!packed) return 0;
    const int fc = op->opcode == EDLA_OP_FULLY_CONNECTED_SPARSE;
    const int depthwise = op->opcode == EDLA_OP_DEPTHWISE_CONV_2D_SPARSE;
    const int begin = (int)p[fc ? FC_P_CHANNEL_BEGIN : CONV_P_CHANNEL_BEGIN];
    const int co = (int)p[fc ? FC_P_CHANNEL_END : CONV_P_CHANNEL_END] - begin;
    const edla_tensor *in = edla_in(m, op, 0);
    size_t taps = 1, inner;
    if (fc) {
        inner = (size_t)p[SPFC_P_DEPTH];
    } else {
        taps = (size_t)p[SPARSE_P_KH] * (size_t)p[SPARSE_P_KW];
        inner = depthwise ? 1 : (size_t)in->dims[3];
    }
    const size_t filter_bytes = (size_t)co * taps * inner;
    uint8_t *mem = (uint8_t *)malloc(12u * (size_t)co + filter_bytes);
    if (!mem) return -1;
    *owned = mem;
    int32_t *tables = (int32_t *)(void *)mem;
    int8_t *filter = (int8_t *)(mem + 12u * (size_t)co);
    /* the decode cache packs outputs back to back: read an aligned copy, as the scratchpad is */
    const uint32_t packed_bytes = m->tensors[op->in[1]].bytes;
    uint8_t *aligned = (uint8_t *)malloc(packed_bytes ? packed_bytes : 1u);
    if (!aligned) return -1;
    memcpy(aligned, packed, packed_bytes);
    const int dense = edla_sparse_dense(op, depthwise, (int)inner, aligned, packed_bytes, filter, tables);
    if (!p[fc ? SPFC_P_DENSE : SPARSE_P_DENSE]) { /* the header's executed MACs, as sp_layout_get reads them */
        memcpy(&e->exec, aligned + 4, 4);
        e->has_exec = 1;
    }
    if (dense && !p[fc ? SPFC_P_DENSE : SPARSE_P_DENSE] && edla_act_flagged(op)) { /* the count's constant part */
        const size_t blocks = (inner * (depthwise ? (size_t)co : 1u) + edla_act_block(m) - 1) / edla_act_block(m);
        e->act_runs = (uint32_t *)malloc(taps * blocks * sizeof *e->act_runs);
        if (!e->act_runs) {
            free(aligned);
            return -1;
        }
        edla_sparse_act_runs(m, op, aligned, packed_bytes, e->act_runs);
    }
    free(aligned);
    if (!dense) return 0;
    ku_channel_op_data *d = &e->d;
    memset(d, 0, sizeof *d);
    d->filter = filter;
    d->bias = tables;
    d->mult = tables + co;
    d->shift = tables + 2 * co;
    d->c_begin = 0; /* chunk-local tables; the output pointer is moved to the chunk instead */
    d->c_end = co;
    if (fc) {
        d->input_offset = p[FC_P_INPUT_OFFSET];
        d->output_offset = p[FC_P_OUTPUT_OFFSET];
        d->act_min = p[FC_P_ACT_MIN];
        d->act_max = p[FC_P_ACT_MAX];
        e->depth = inner;
        e->rows = ku_element_count(in) / inner;
        e->out_c = ku_element_count(edla_out(m, op, 0)) / e->rows;
        e->kind = HP_FC;
    } else {
        const int32_t k[2] = {p[SPARSE_P_KH], p[SPARSE_P_KW]};
        const int32_t stride[2] = {p[CONV_P_STRIDE_H], p[CONV_P_STRIDE_W]};
        const int32_t dilation[2] = {p[CONV_P_DILATION_H], p[CONV_P_DILATION_W]};
        const int32_t pad[2] = {p[CONV_P_PAD_TOP], p[CONV_P_PAD_LEFT]};
        ku_window_init(&e->g, in, edla_out(m, op, 0), k, stride, dilation, pad);
        d->input_offset = p[CONV_P_INPUT_OFFSET];
        d->output_offset = p[CONV_P_OUTPUT_OFFSET];
        d->act_min = p[CONV_P_ACT_MIN];
        d->act_max = p[CONV_P_ACT_MAX];
        e->depth_multiplier = depthwise ? (int)p[CONV_P_DEPTH_MULTIPLIER] : 1;
        e->kind = depthwise ? HP_DEPTHWISE : HP_CONV;
    }
    e->chunk_begin = begin;
    if (e->kind == HP_DEPTHWISE && e->g.in_c == 1) { /* as a conv: filter [co][taps] */
        int8_t *t = (int8_t *)malloc(filter_bytes);
        if (!t) return -1;
        for (size_t c = 0; c < (size_t)co; c++)
            for (size_t k2 = 0; k2 < taps; k2++) t[c * taps + k2] = filter[k2 * (size_t)co + c];
        memcpy(filter, t, filter_bytes);
        free(t);
        e->kind = HP_CONV;
    }
    return 1;
}

/* A packed FC entry's counts as values fixed at load (edla_host_eval counts
 * from them what its op's eval would: fully_connected.c, sparse.c). Left to
 * the eval (0): skip blocks other than 1, a sparse layout without its kept
 * counts, more than 255 entries reading one input. -1: no memory. */
static int prepare_fc_counts(const edla_model *m, uint32_t at, hp_op *e) {
    const edla_op *op = &m->ops[at];
    const int act = edla_act_flagged(op);
    const int sparse = op->opcode == EDLA_OP_FULLY_CONNECTED_SPARSE && !op->p[SPFC_P_DENSE];
    if (e->kind != HP_FC || !e->packed || (act && edla_act_block(m) != 1) || (sparse && !e->has_exec) ||
        (sparse && act && !e->act_runs))
        return 0;
    e->unit_macs = (uint64_t)(e->d.c_end - e->d.c_begin) * e->depth;
    e->unit_exec = sparse ? e->exec : e->unit_macs;
    e->zp = (int8_t)(-e->d.input_offset);
    if (act && sparse) {
        e->zero_runs = (uint8_t *)malloc(e->depth ? e->depth : 1u);
        if (!e->zero_runs) return -1;
        for (size_t i = 0; i < e->depth; i++) {
            if (e->act_runs[i] > 255u) {
                free(e->zero_runs);
                e->zero_runs = (uint8_t *)0;
                return 0;
            }
            e->zero_runs[i] = (uint8_t)e->act_runs[i];
        }
    } else if (act) {
        e->zero_macs = (uint32_t)(e->d.c_end - e->d.c_begin);
    }
    e->counts = 1;
    return 1;
}

static int prepare_op(const edla_model *m, const uint8_t *cache, uint32_t at, hp_op *e) {
    void *owned = (void *)0;
    int ok;
    memset(e, 0, sizeof *e);
    switch (m->ops[at].opcode) {
    case EDLA_OP_CONV_2D:
    case EDLA_OP_DEPTHWISE_CONV_2D:
    case EDLA_OP_FULLY_CONNECTED:
        ok = prepare_dense(m, cache, at, e, &owned);
        break;
    case EDLA_OP_CONV_2D_SPARSE:
    case EDLA_OP_DEPTHWISE_CONV_2D_SPARSE:
    case EDLA_OP_FULLY_CONNECTED_SPARSE:
        ok = prepare_sparse(m, cache, at, e, &owned);
        break;
    default:
        return 0;
    }
    e->owned_filter = owned;
    e->act_input = edla_act_flagged(&m->ops[at]);
    if (ok == 1) ok = edla_host_pack(e);
    if (ok == 1 && prepare_fc_counts(m, at, e) < 0) ok = -1;
    if (ok != 1) {
        edla_host_unpack(e);
        free(e->act_runs);
        free(e->zero_runs);
        free(owned);
        memset(e, 0, sizeof *e);
    }
    return ok < 0 ? -1 : 0;
}

/* Filter bytes per output channel of a conv or FC entry. */
static size_t channel_bytes(const hp_op *e) {
    return e->kind == HP_FC ? e->depth : (size_t)e->g.k_h * (size_t)e->g.k_w * (size_t)e->g.in_c;
}

/* Output channels of the whole layer that a conv or FC entry computes: [begin, end). */
static int first_channel(const hp_op *e) {
    return e->chunk_begin + e->d.c_begin;
}
static int end_channel(const hp_op *e) {
    return e->chunk_begin + e->d.c_end;
}

static int same_bytes(const edla_tensor *a, const edla_tensor *b) {
    return a->location == b->location && a->offset == b->offset && a->bytes == b->bytes;
}

/* A packed FC or conv entry whose chunk may start a fused run: its output
 * apart from its input, so the later chunks read the bytes the first one read. */
static int can_lead(const edla_model *m, const hp_op *e, uint32_t at) {
    return (e->kind == HP_FC || e->kind == HP_CONV) && e->packed && e->fused == HP_FUSED_NONE &&
           !overlaps(edla_in(m, &m->ops[at], 0), edla_out(m, &m->ops[at], 0));
}

/* Two conv entries over the same window (geometry and tensors' shapes). */
static int same_window(const ku_window *a, const ku_window *b) {
    return a->batches == b->batches && a->in_h == b->in_h && a->in_w == b->in_w && a->in_c == b->in_c &&
           a->out_h == b->out_h && a->out_w == b->out_w && a->out_c == b->out_c && a->k_h == b->k_h &&
           a->k_w == b->k_w && a->stride_h == b->stride_h && a->stride_w == b->stride_w &&
           a->dil_h == b->dil_h && a->dil_w == b->dil_w && a->pad_top == b->pad_top && a->pad_left == b->pad_left;
}

/* Op j is a weight transfer (DMA / DMA_DECODE: reads flash or external
 * memory) that neither writes the run's input or output nor reads its output. */
static int transfer_between(const edla_model *m, uint32_t j, const edla_tensor *in, const edla_tensor *out) {
    const edla_op *t = &m->ops[j];
    if (t->opcode != EDLA_OP_DMA && t->opcode != EDLA_OP_DMA_DECODE) return 0;
    const edla_tensor *dst = &m->tensors[t->out[0]];
    return !overlaps(dst, in) && !overlaps(dst, out) && !overlaps(&m->tensors[t->in[0]], out);
}

/* Entry b (op j) is the next chunk of the run led by op `lead`, whose last
 * chunk is `prev`: the same kind, input, output, shapes and quantization, and
 * the channels right after prev's. */
static int next_chunk(const edla_model *m, const hp_op *ops, uint32_t lead, const hp_op *prev, uint32_t j) {
    const hp_op *a = &ops[lead], *b = &ops[j];
    const int shapes = a->kind == HP_FC ? b->rows == a->rows && b->depth == a->depth && b->out_c == a->out_c
                                        : same_window(&a->g, &b->g);
    return b->kind == a->kind && b->packed && shapes && b->d.input_offset == a->d.input_offset &&
           b->d.output_offset == a->d.output_offset && b->d.act_min == a->d.act_min &&
           b->d.act_max == a->d.act_max && first_channel(b) == end_channel(prev) &&
           same_bytes(edla_in(m, &m->ops[lead], 0), edla_in(m, &m->ops[j], 0)) &&
           same_bytes(edla_out(m, &m->ops[lead], 0), edla_out(m, &m->ops[j], 0));
}

/* Packs the FC or conv chunks among ops [first, last] as one entry at first
 * (their filters and tables concatenated); the others keep only what their
 * counts read. 0: left as they were. */
static int fuse_run(hp_op *ops, uint32_t first, uint32_t last) {
    const int kind = ops[first].kind;
    const size_t row = channel_bytes(&ops[first]); /* filter bytes per channel */
    size_t n = 0;
    for (uint32_t k = first; k <= last; k++)
        if (ops[k].kind == kind) n += (size_t)(ops[k].d.c_end - ops[k].d.c_begin);
    uint8_t *mem = (uint8_t *)malloc(12u * n + n * row);
    if (!mem) return -1;
    int32_t *bias = (int32_t *)(void *)mem, *mult = bias + n, *shift = mult + n;
    int8_t *filter = (int8_t *)(mem + 12u * n);
    size_t at = 0;
    for (uint32_t k = first; k <= last; k++) {
        const ku_channel_op_data *d = &ops[k].d;
        if (ops[k].kind != kind) continue;
        const size_t co = (size_t)(d->c_end - d->c_begin);
        memcpy(filter + at * row, d->filter, co * row); /* row i: channel c_begin + i */
        for (size_t i = 0; i < co; i++, at++) {
            const size_t oc = (size_t)d->c_begin + i;
            bias[at] = d->bias ? d->bias[oc] : 0;
            mult[at] = d->mult[oc];
            shift[at] = d->shift[oc];
        }
    }
    hp_op f = ops[first]; /* its counts (exec, act_runs) stay */
    f.d.filter = filter;
    f.d.bias = bias;
    f.d.mult = mult;
    f.d.shift = shift;
    f.d.c_begin = 0;
    f.d.c_end = (int)n;
    f.chunk_begin = first_channel(&ops[first]);
    f.owned = f.owned_cols = (void *)0;
    f.packed = f.cols = (int8_t *)0;
    const int ok = edla_host_pack(&f);
    if (ok != 1) {
        edla_host_unpack(&f);
        free(mem);
        return ok < 0 ? -1 : 0;
    }
    edla_host_unpack(&ops[first]);
    free(ops[first].owned_filter);
    f.owned_filter = mem;
    f.fused = HP_FUSED_LEAD;
    ops[first] = f;
    for (uint32_t k = first + 1; k <= last; k++) {
        hp_op *e = &ops[k];
        if (e->kind != kind) continue;
        edla_host_unpack(e);
        free(e->owned_filter);
        e->owned_filter = (void *)0;
        memset(&e->d, 0, sizeof e->d);
        e->fused = HP_FUSED_TAIL;
    }
    return 1;
}

/* Runs of FC or conv chunk ops of one layer, with only weight transfers
 * between them, each fused into one entry (fuse_run). */
static int fuse_fc_chunks(const edla_model *m, hp_op *ops) {
    for (uint32_t i = 0; i < m->n_ops; i++) {
        if (!can_lead(m, &ops[i], i)) continue;
        const edla_tensor *in = edla_in(m, &m->ops[i], 0), *out = edla_out(m, &m->ops[i], 0);
        uint32_t last = i;
        for (uint32_t j = i + 1; j < m->n_ops; j++) {
            if (transfer_between(m, j, in, out)) continue;
            if (!next_chunk(m, ops, i, &ops[last], j)) break;
            last = j;
        }
        if (last > i && fuse_run(ops, i, last) < 0) return -1;
        i = last;
    }
    return 0;
}

/* A layer that reads its weights tensor only through its prepared copy: run by
 * host_x86.c's own loops (packed), its sparse counts from kept values. */
static int reads_no_weights(const edla_op *op, const hp_op *e) {
    if (e->kind == HP_NONE || !(e->packed || e->fused)) return 0;
    if (op->opcode == EDLA_OP_CONV_2D_SPARSE || op->opcode == EDLA_OP_DEPTHWISE_CONV_2D_SPARSE ||
        op->opcode == EDLA_OP_FULLY_CONNECTED_SPARSE) {
        const int dense = op->p[op->opcode == EDLA_OP_FULLY_CONNECTED_SPARSE ? SPFC_P_DENSE : SPARSE_P_DENSE];
        return dense || (e->has_exec && (!edla_act_flagged(op) || e->act_runs));
    }
    return 1;
}

/* DMA / DMA_DECODE op i into the weight buffer whose bytes no op reads: every
 * op with an input overlapping them (whichever chunk it reads there) has it as
 * its weights (operand 1) and reads no weights (reads_no_weights). The weight
 * buffer is the NPU's own: no model input or output lives there. */
static int copy_unread(const edla_model *m, const struct edla_host_plan *plan, uint32_t i) {
    const edla_op *op = &m->ops[i];
    if (op->opcode != EDLA_OP_DMA && op->opcode != EDLA_OP_DMA_DECODE) return 0;
    const edla_tensor *t = &m->tensors[op->out[0]];
    if (t->location != EDLA_LOC_WBUF) return 0;
    for (uint32_t j = 0; j < m->n_ops; j++) {
        const edla_op *r = &m->ops[j];
        for (uint32_t k = 0; k < r->n_in; k++) {
            if (r->in[k] == EDLA_NO_TENSOR || !overlaps(&m->tensors[r->in[k]], t)) continue;
            if (k != 1 || !reads_no_weights(r, &plan->ops[j])) return 0;
        }
    }
    return 1;
}

int edla_host_plan_new(edla_model *model, const uint8_t *cache) {
    if (!model || !model->header || model->host_plan || !edla_host_vnni()) return 0;
    struct edla_host_plan *plan = (struct edla_host_plan *)calloc(1, sizeof *plan);
    if (!plan) return -1;
    plan->ops = (hp_op *)calloc(model->n_ops ? model->n_ops : 1u, sizeof *plan->ops);
    if (!plan->ops) {
        free(plan);
        return -1;
    }
    plan->n_ops = model->n_ops;
    size_t work = 0;
    for (uint32_t i = 0; i < model->n_ops; i++) {
        if (prepare_op(model, cache, i, &plan->ops[i]) < 0) {
            model->host_plan = plan;
            edla_host_plan_free(model);
            return -1;
        }
    }
    if (fuse_fc_chunks(model, plan->ops) < 0) {
        model->host_plan = plan;
        edla_host_plan_free(model);
        return -1;
    }
    for (uint32_t i = 0; i < model->n_ops; i++)
        work = plan->ops[i].work_bytes > work ? plan->ops[i].work_bytes : work;
    plan->work = (uint8_t *)edla_host_alloc64(work + 64, &plan->work_raw);
    plan->skip_copy = (uint8_t *)calloc(model->n_ops ? model->n_ops : 1u, 1);
    model->host_plan = plan;
    if (!plan->work || !plan->skip_copy) {
        edla_host_plan_free(model);
        return -1;
    }
    for (uint32_t i = 0; i < model->n_ops; i++) plan->skip_copy[i] = (uint8_t)copy_unread(model, plan, i);
    return 0;
}

void edla_host_plan_free(edla_model *model) {
    if (!model || !model->host_plan) return;
    struct edla_host_plan *plan = (struct edla_host_plan *)model->host_plan;
    for (uint32_t i = 0; i < plan->n_ops; i++) {
        edla_host_unpack(&plan->ops[i]);
        free(plan->ops[i].owned_filter);
        free(plan->ops[i].act_runs);
        free(plan->ops[i].zero_runs);
    }
    free(plan->ops);
    free(plan->work_raw);
    free(plan->skip_copy);
    free(plan);
    model->host_plan = (const struct edla_host_plan *)0;
}

int edla_host_prepared(const edla_model *model, uint32_t op_index) {
    if (!model || !model->host_plan || op_index >= model->host_plan->n_ops) return HP_NONE;
    return model->host_plan->ops[op_index].kind;
}

int edla_host_fused(const edla_model *model, uint32_t op_index) {
    if (!model || !model->host_plan || op_index >= model->host_plan->n_ops) return HP_FUSED_NONE;
    return model->host_plan->ops[op_index].fused;
}

#else /* no host fast kernels: nothing to prepare */

int edla_host_fused(const edla_model *model, uint32_t op_index) {
    (void)model;
    (void)op_index;
    return 0;
}

int edla_host_prepared(const edla_model *model, uint32_t op_index) {
    (void)model;
    (void)op_index;
    return 0;
}

int edla_host_plan_new(edla_model *model, const uint8_t *cache) {
    (void)model;
    (void)cache;
    return 0;
}

void edla_host_plan_free(edla_model *model) {
    (void)model;
}

#endif
