/*
 * blob.c - the validating loader.
 *
 * Nothing in a blob is trusted until edla_model_load has checked it: the
 * header, the CRC, every section bound, every tensor and op record, every
 * operand index, every op's shapes and parameters (via the kernels' check
 * functions) and the plan's fit in the scratchpad. Sizes are compared as
 * "a <= total && b <= total - a" so no sum can overflow. After EDLA_OK the
 * kernels index memory without further checks.
 */
#include "edla.h"
#include "kernels.h"

extern const edla_check_fn edla_op_checks[EDLA_OP_COUNT_];

static int fits(uint32_t offset, uint32_t size, uint32_t total) {
    return offset <= total && size <= total - offset;
}

static uint32_t dtype_size(uint8_t dtype) {
    return dtype == EDLA_INT8 ? 1u : (dtype == EDLA_INT32 || dtype == EDLA_FLOAT32) ? 4u : 0u;
}

static edla_status check_header(const edla_header *h, size_t blob_size, uint32_t capacity) {
    if (h->magic != EDLA_MAGIC) return EDLA_ERR_MAGIC;
    if (h->version_major != EDLA_VERSION_MAJOR) return EDLA_ERR_VERSION;
    if (h->total_size > blob_size || h->total_size < sizeof(edla_header)) return EDLA_ERR_TRUNCATED;
    if (h->header_size < sizeof(edla_header) || h->header_size % EDLA_ALIGN != 0 ||
        h->n_sections == 0 || h->n_sections > EDLA_MAX_SECTIONS ||
        !fits(h->header_size, h->n_sections * (uint32_t)sizeof(edla_section), h->total_size))
        return EDLA_ERR_SECTION;
    if (h->npu.macs_per_cycle == 0 || h->npu.flash_bytes_per_cycle_q8 == 0 ||
        h->npu.ext_bytes_per_cycle_q8 == 0 || h->npu.scratchpad_capacity > capacity)
        return EDLA_ERR_CONFIG;
    if (h->sparsity_block > EDLA_MAX_SPARSITY_BLOCK || (h->npu_flags & ~EDLA_NPU_ACT_SPARSITY) != 0 ||
        h->reserved[0] != 0 || h->reserved[1] != 0)
        return EDLA_ERR_CONFIG;
    if (h->scratchpad_required > h->npu.scratchpad_capacity ||
        h->weight_buffer_required > h->weight_buffer_capacity)
        return EDLA_ERR_SCRATCH;
    if (h->n_inputs == 0 || h->n_outputs == 0 || h->n_inputs > 0xFFFFu || h->n_outputs > 0xFFFFu)
        return EDLA_ERR_IO;
    return EDLA_OK;
}

/* Bytes of the smallest packed records: dtype, location, rank, one dim, offset,
 * zero point; opcode, n_in, n_out, flags, n_params. */
#define PACKED_TENSOR_MIN 6u
#define PACKED_OP_MIN 5u

/* The sections the loader reads (packed record sections stay in the blob). */
typedef struct {
    const uint8_t *tensors, *ops;
    uint32_t tensors_size, ops_size;
} packed_records;

static edla_status map_sections(edla_model *m, const edla_header *h, packed_records *packed) {
    const edla_section *table = (const edla_section *)(m->blob + h->header_size);
    const uint32_t data_start = h->header_size + h->n_sections * (uint32_t)sizeof(edla_section);
    uint32_t seen = 0, i, io_size = 0, io_count = 0;
    for (i = 0; i < h->n_sections; i++) {
        const edla_section *s = &table[i];
        if (s->offset % EDLA_ALIGN != 0 || s->offset < data_start ||
            !fits(s->offset, s->size, h->total_size))
            return EDLA_ERR_SECTION;
        if (s->kind == 0 || s->kind > 31u) return EDLA_ERR_SECTION;
        if (seen & (1u << s->kind)) return EDLA_ERR_SECTION; /* duplicate kind */
        seen |= 1u << s->kind;
        switch (s->kind) { /* kinds unknown to this reader are minor-version additions: skip */
        case EDLA_SEC_TENSORS:
            packed->tensors = m->blob + s->offset;
            packed->tensors_size = s->size;
            m->n_tensors = s->count;
            break;
        case EDLA_SEC_OPS:
            packed->ops = m->blob + s->offset;
            packed->ops_size = s->size;
            m->n_ops = s->count;
            break;
        case EDLA_SEC_IO:
            m->io = (const uint32_t *)(m->blob + s->offset);
            io_count = s->count;
            io_size = s->size;
            break;
        case EDLA_SEC_CONST:
            m->consts = m->blob + s->offset;
            m->consts_size = s->size;
            break;
        case EDLA_SEC_EXT:
            if (s->size != 0 || s->count > 0x7FFFFFFFu) return EDLA_ERR_SECTION;
            m->ext_required = s->count;
            break;
        default:
            break;
        }
    }
    if (!packed->tensors || !packed->ops || !m->io) return EDLA_ERR_SECTION;
    /* Counts are bounded by the format and by the smallest packed records the
     * sections could hold, so the unpacked records' memory stays in proportion. */
    if (m->n_tensors == 0 || m->n_tensors >= EDLA_NO_TENSOR || m->n_ops > 0xFFFFu ||
        m->n_tensors > packed->tensors_size / PACKED_TENSOR_MIN || m->n_ops > packed->ops_size / PACKED_OP_MIN)
        return EDLA_ERR_SECTION;
    if (io_count != h->n_inputs + h->n_outputs || io_size != io_count * 4u) return EDLA_ERR_IO;
    return EDLA_OK;
}

/* ---- packed records (edla.h): a bounded reader that flags, never overruns ---- */
typedef struct {
    const uint8_t *p, *end;
    int bad;
} reader;

static uint32_t get_u8(reader *r) {
    if (r->p >= r->end) {
        r->bad = 1;
        return 0;
    }
    return *r->p++;
}

static uint32_t get_varint(reader *r) {
    uint32_t v = 0, shift;
    for (shift = 0; shift < 32; shift += 7) {
        const uint32_t b = get_u8(r);
        if (shift == 28 && (b & 0xF0u)) break; /* more than 32 bits */
        v |= (b & 0x7Fu) << shift;
        if (!(b & 0x80u)) return v;
    }
    r->bad = 1;
    return 0;
}

static int32_t get_zigzag(reader *r) {
    const uint32_t u = get_varint(r);
    return (int32_t)((u >> 1) ^ (0u - (u & 1u)));
}

/* 0: none, else tensor index + 1 */
static uint16_t get_operand(reader *r) {
    const uint32_t v = get_varint(r);
    if (v > EDLA_NO_TENSOR) r->bad = 1;
    return v == 0 || v > EDLA_NO_TENSOR ? (uint16_t)EDLA_NO_TENSOR : (uint16_t)(v - 1u);
}

static edla_status unpack_tensors(const uint8_t *packed, uint32_t size, edla_tensor *t, uint32_t n) {
    reader r = {packed, packed + size, 0};
    uint32_t i, d;
    for (i = 0; i < n; i++, t++) {
        uint64_t count = 1;
        t->dtype = (uint8_t)get_u8(&r);
        t->location = (uint8_t)get_u8(&r);
        t->rank = (uint8_t)get_u8(&r);
        t->reserved = 0;
        if (t->rank == 0 || t->rank > EDLA_MAX_RANK) return EDLA_ERR_TENSOR;
        for (d = 0; d < EDLA_MAX_RANK; d++) {
            const uint32_t dim = d < t->rank ? get_varint(&r) : 1u;
            if (dim == 0 || dim > 0x7FFFFFFFu) return EDLA_ERR_TENSOR;
            t->dims[d] = (int32_t)dim;
            count *= dim;
            if (count > 0x7FFFFFFFu) return EDLA_ERR_TENSOR; /* checked per step: no overflow */
        }
        t->offset = get_varint(&r);
        t->zero_point = get_zigzag(&r);
        count *= dtype_size(t->dtype);
        if (count > 0xFFFFFFFFu || r.bad) return EDLA_ERR_TENSOR;
        t->bytes = (uint32_t)count;
    }
    return r.p == r.end ? EDLA_OK : EDLA_ERR_TENSOR;
}

static edla_status unpack_ops(const uint8_t *packed, uint32_t size, edla_op *op, uint32_t n) {
    reader r = {packed, packed + size, 0};
    uint32_t i, k, opcode, n_params;
    for (i = 0; i < n; i++, op++) {
        opcode = get_varint(&r);
        op->opcode = (uint16_t)opcode;
        op->n_in = (uint8_t)get_u8(&r);
        op->n_out = (uint8_t)get_u8(&r);
        if (opcode > 0xFFFFu || op->n_in > EDLA_MAX_OP_INPUTS || op->n_out > EDLA_MAX_OP_OUTPUTS)
            return EDLA_ERR_OP;
        for (k = 0; k < EDLA_MAX_OP_INPUTS; k++)
            op->in[k] = k < op->n_in ? get_operand(&r) : (uint16_t)EDLA_NO_TENSOR;
        for (k = 0; k < EDLA_MAX_OP_OUTPUTS; k++)
            op->out[k] = k < op->n_out ? get_operand(&r) : (uint16_t)EDLA_NO_TENSOR;
        op->flags = get_varint(&r);
        n_params = get_u8(&r);
        if (n_params > EDLA_OP_PARAMS) return EDLA_ERR_OP;
        for (k = 0; k < EDLA_OP_PARAMS; k++)
            op->p[k] = k < n_params ? get_zigzag(&r) : 0;
        if (r.bad) return EDLA_ERR_OP;
    }
    return r.p == r.end ? EDLA_OK : EDLA_ERR_OP;
}

static edla_status check_tensor(const edla_model *m, const edla_tensor *t) {
    uint32_t elem = dtype_size(t->dtype), d;
    uint64_t count = 1;
    if (elem == 0 || t->rank == 0 || t->rank > EDLA_MAX_RANK || t->reserved != 0)
        return EDLA_ERR_TENSOR;
    for (d = 0; d < EDLA_MAX_RANK; d++) {
        if (t->dims[d] < 1 || (d >= t->rank && t->dims[d] != 1)) return EDLA_ERR_TENSOR;
        count *= (uint64_t)t->dims[d]; /* each dim < 2^31, <= 4 dims: checked per step */
        if (count > 0x7FFFFFFFu) return EDLA_ERR_TENSOR;
    }
    if (count * elem != t->bytes) return EDLA_ERR_TENSOR;
    if (t->dtype == EDLA_INT8 ? (t->zero_point < -128 || t->zero_point > 127) : t->zero_point != 0)
        return EDLA_ERR_TENSOR;
    if (t->offset % elem != 0) return EDLA_ERR_TENSOR;
    if (t->location == EDLA_LOC_SCRATCH) {
        if (!fits(t->offset, t->bytes, m->header->scratchpad_required)) return EDLA_ERR_SCRATCH;
    } else if (t->location == EDLA_LOC_CONST) {
        if (!fits(t->offset, t->bytes, m->consts_size)) return EDLA_ERR_TENSOR;
    } else if (t->location == EDLA_LOC_EXT) {
        if (!fits(t->offset, t->bytes, m->ext_required)) return EDLA_ERR_TENSOR;
    } else if (t->location == EDLA_LOC_WBUF) {
        if (!fits(t->offset, t->bytes, m->header->weight_buffer_required)) return EDLA_ERR_SCRATCH;
    } else {
        return EDLA_ERR_TENSOR;
    }
    return EDLA_OK;
}

/* EDLA_OP_FLAG_ACT_SPARSE: only on the MAC layers that skip zero activations,
 * and only when the NPU configuration has the zero-activation skip. */
static int act_sparse_ok(const edla_model *m, const edla_op *op) {
    if (!(op->flags & EDLA_OP_FLAG_ACT_SPARSE)) return 1;
    if (!(m->header->npu_flags & EDLA_NPU_ACT_SPARSITY) || (op->flags & EDLA_OP_FLAG_CPU)) return 0;
    switch (op->opcode) {
    case EDLA_OP_CONV_2D: case EDLA_OP_DEPTHWISE_CONV_2D: case EDLA_OP_FULLY_CONNECTED:
    case EDLA_OP_CONV_2D_SPARSE: case EDLA_OP_DEPTHWISE_CONV_2D_SPARSE:
    case EDLA_OP_FULLY_CONNECTED_SPARSE:
        return 1;
    default:
        return 0;
    }
}

/* Ops whose operand 1 (filter or packed weights) may be read from the weight buffer. */
static int reads_weight_buffer(uint16_t opcode) {
    return opcode == EDLA_OP_CONV_2D || opcode == EDLA_OP_DEPTHWISE_CONV_2D ||
           opcode == EDLA_OP_FULLY_CONNECTED || opcode == EDLA_OP_TRANSPOSE_CONV ||
           opcode == EDLA_OP_CONV_2D_SPARSE || opcode == EDLA_OP_DEPTHWISE_CONV_2D_SPARSE ||
           opcode == EDLA_OP_FULLY_CONNECTED_SPARSE;
}

static edla_status check_op_operands(const edla_model *m, const edla_op *op) {
    unsigned i;
    if (op->opcode >= EDLA_OP_COUNT_ || !edla_op_checks[op->opcode]) return EDLA_ERR_OP;
    if (op->n_in > EDLA_MAX_OP_INPUTS || op->n_out == 0 || op->n_out > EDLA_MAX_OP_OUTPUTS ||
        (op->flags & ~(EDLA_OP_FLAG_CPU | EDLA_OP_FLAG_ACT_SPARSE)) != 0 || !act_sparse_ok(m, op))
        return EDLA_ERR_OP;
    for (i = 0; i < EDLA_MAX_OP_INPUTS; i++) {
        if (op->in[i] == EDLA_NO_TENSOR) continue;
        if (i >= op->n_in || op->in[i] >= m->n_tensors) return EDLA_ERR_OPERAND;
        /* only DMA reaches external memory: kernels never see such operands */
        if (m->tensors[op->in[i]].location == EDLA_LOC_EXT && op->opcode != EDLA_OP_DMA)
            return EDLA_ERR_OPERAND;
        /* the weight buffer feeds the MAC array's weight port only */
        if (m->tensors[op->in[i]].location == EDLA_LOC_WBUF && !(i == 1 && reads_weight_buffer(op->opcode)))
            return EDLA_ERR_OPERAND;
    }
    for (i = 0; i < EDLA_MAX_OP_OUTPUTS; i++) {
        if (i >= op->n_out) {
            if (op->out[i] != EDLA_NO_TENSOR) return EDLA_ERR_OPERAND;
        } else if (op->out[i] >= m->n_tensors ||
                   (m->tensors[op->out[i]].location != EDLA_LOC_SCRATCH &&
                    !(op->opcode == EDLA_OP_DMA && m->tensors[op->out[i]].location == EDLA_LOC_EXT) &&
                    !((op->opcode == EDLA_OP_DMA || op->opcode == EDLA_OP_DMA_DECODE) &&
                      m->tensors[op->out[i]].location == EDLA_LOC_WBUF))) {
            return EDLA_ERR_OPERAND;
        }
    }
    return EDLA_OK;
}

static size_t records_bytes(const edla_model *m) {
    return (size_t)m->n_tensors * sizeof(edla_tensor) + (size_t)m->n_ops * sizeof(edla_op);
}

/* Header, CRC (when verify_crc) and section table: what edla_model_load and
 * edla_model_records_bytes share. The counts need no CRC: load checks it after. */
static edla_status map_blob(edla_model *m, const void *blob, size_t blob_size, uint32_t scratchpad_capacity,
                            int verify_crc, packed_records *packed) {
    const edla_header *h = (const edla_header *)blob;
    edla_status st;
    if (!blob) return EDLA_ERR_NULL;
    if (((uintptr_t)blob) % EDLA_ALIGN != 0) return EDLA_ERR_ALIGN;
    if (blob_size < sizeof(edla_header)) return EDLA_ERR_TRUNCATED;
    st = check_header(h, blob_size, scratchpad_capacity);
    if (st != EDLA_OK) return st;
    if (verify_crc && edla_crc32(0, (const uint8_t *)blob + 16, h->total_size - 16u) != h->crc32)
        return EDLA_ERR_CRC;
    m->blob = (const uint8_t *)blob;
    m->header = h;
    return map_sections(m, h, packed);
}

size_t edla_model_records_bytes(const void *blob, size_t blob_size) {
    edla_model m = {0};
    packed_records packed = {0};
    return map_blob(&m, blob, blob_size, 0xFFFFFFFFu, 0, &packed) == EDLA_OK ? records_bytes(&m) : 0;
}

edla_status edla_model_load(edla_model *model, const void *blob, size_t blob_size,
                            uint32_t scratchpad_capacity, void *records, size_t records_size) {
    edla_model m = {0};
    packed_records packed = {0};
    edla_tensor *tensors;
    edla_op *ops;
    edla_status st;
    uint32_t i;
    if (!model) return EDLA_ERR_NULL;
    if ((st = map_blob(&m, blob, blob_size, scratchpad_capacity, 1, &packed)) != EDLA_OK) return st;
    if (records_size < records_bytes(&m)) return EDLA_ERR_MEMORY;
    if (!records) return EDLA_ERR_NULL;
    if (((uintptr_t)records) % EDLA_ALIGN != 0) return EDLA_ERR_ALIGN;
    tensors = (edla_tensor *)records;
    ops = (edla_op *)(tensors + m.n_tensors); /* 32-byte records: still aligned */
    if ((st = unpack_tensors(packed.tensors, packed.tensors_size, tensors, m.n_tensors)) != EDLA_OK) return st;
    if ((st = unpack_ops(packed.ops, packed.ops_size, ops, m.n_ops)) != EDLA_OK) return st;
    m.tensors = tensors;
    m.ops = ops;
    for (i = 0; i < m.n_tensors; i++)
        if ((st = check_tensor(&m, &m.tensors[i])) != EDLA_OK) return st;
    for (i = 0; i < m.header->n_inputs + m.header->n_outputs; i++)
        if (m.io[i] >= m.n_tensors || m.tensors[m.io[i]].location != EDLA_LOC_SCRATCH)
            return EDLA_ERR_IO;
    for (i = 0; i < m.n_ops; i++) {
        const edla_op *op = &m.ops[i];
        if ((st = check_op_operands(&m, op)) != EDLA_OK) return st;
        if ((st = edla_op_checks[op->opcode](&m, op)) != EDLA_OK) return st;
    }
    *model = m;
    return EDLA_OK;
}

edla_status edla_model_bind_weight_buffer(edla_model *model, uint8_t *buffer, uint32_t size) {
    if (!model || !model->header || !buffer) return EDLA_ERR_NULL;
    if (((uintptr_t)buffer) % EDLA_ALIGN != 0) return EDLA_ERR_ALIGN;
    if (size < model->header->weight_buffer_required) return EDLA_ERR_CONFIG;
    model->weight_buffer = buffer;
    return EDLA_OK;
}

void *edla_tensor_data(const edla_model *model, uint8_t *scratchpad, uint32_t tensor_index) {
    const edla_tensor *t;
    if (!model || tensor_index >= model->n_tensors) return (void *)0;
    t = &model->tensors[tensor_index];
    if (t->location == EDLA_LOC_CONST) return (void *)(model->consts + t->offset);
    if (t->location == EDLA_LOC_EXT) return (void *)0; /* reached through DMA only */
    if (t->location == EDLA_LOC_WBUF)
        return model->weight_buffer ? (void *)(model->weight_buffer + t->offset) : (void *)0;
    return scratchpad ? (void *)(scratchpad + t->offset) : (void *)0;
}

const char *edla_status_name(edla_status status) {
    static const char *const names[] = {
        "OK", "NULL", "ALIGN", "TRUNCATED", "MAGIC", "VERSION", "CRC", "SECTION",
        "TENSOR", "OP", "OPERAND", "PARAM", "SCRATCH", "CONFIG", "IO", "MEMORY"};
    return (unsigned)status < sizeof(names) / sizeof(names[0]) ? names[status] : "UNKNOWN";
}
