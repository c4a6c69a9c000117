/*
 * edla.h - the public interface of the edge_dla NPU core.
 *
 * One header for the host module (cffi) and the firmware. The core is C99,
 * allocates nothing, prints nothing and keeps no global state: the caller
 * owns the blob, the model view and the scratchpad.
 *
 * This header is also the normative definition of the blob format
 * (docs/blob-format.md explains it in prose). All fields are little-endian;
 * the blob must be 16-byte aligned in memory.
 */
#ifndef EDLA_H
#define EDLA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status codes (Python maps each to a typed exception) -------------- */
typedef enum {
    EDLA_OK = 0,
    EDLA_ERR_NULL = 1,          /* a required pointer was NULL */
    EDLA_ERR_ALIGN = 2,         /* blob or scratchpad not 16-byte aligned */
    EDLA_ERR_TRUNCATED = 3,     /* blob shorter than its header or total_size */
    EDLA_ERR_MAGIC = 4,         /* not an edge_dla blob */
    EDLA_ERR_VERSION = 5,       /* format version this core cannot read */
    EDLA_ERR_CRC = 6,           /* CRC32 mismatch: corrupted blob */
    EDLA_ERR_SECTION = 7,       /* section table entry out of bounds/misaligned/missing */
    EDLA_ERR_TENSOR = 8,        /* tensor record invalid (dtype, dims, size, location) */
    EDLA_ERR_OP = 9,            /* unknown op code or bad operand count */
    EDLA_ERR_OPERAND = 10,      /* op refers to a tensor index out of range or of wrong kind */
    EDLA_ERR_PARAM = 11,        /* op parameter out of range (stride 0, shift, shapes...) */
    EDLA_ERR_SCRATCH = 12,      /* plan needs more scratchpad than available */
    EDLA_ERR_CONFIG = 13,       /* NPU configuration this core cannot honour */
    EDLA_ERR_IO = 14,           /* input/output table invalid */
    EDLA_ERR_MEMORY = 15        /* record memory smaller than edla_model_records_bytes */
} edla_status;

/* ---- blob format ------------------------------------------------------- */
#define EDLA_MAGIC 0x414C4445u /* "EDLA" read as little-endian u32 */
#define EDLA_VERSION_MAJOR 3u /* 3: packed tensor and op records (2: fixed records) */
#define EDLA_VERSION_MINOR 0u
#define EDLA_ALIGN 16u
#define EDLA_MAX_SECTIONS 8u
#define EDLA_MAX_RANK 4u
#define EDLA_MAX_OP_INPUTS 6u
#define EDLA_MAX_OP_OUTPUTS 2u
#define EDLA_OP_PARAMS 18u
#define EDLA_NO_TENSOR 0xFFFFu

/* NPU configuration the blob was built for. */
typedef struct {
    uint32_t scratchpad_capacity; /* bytes of SRAM the NPU has */
    uint32_t macs_per_cycle;      /* MAC array width */
    uint32_t flash_bytes_per_cycle_q8; /* weight DMA rate, bytes/cycle * 256 */
    uint32_t ext_bytes_per_cycle_q8;   /* external-memory DMA rate, bytes/cycle * 256 */
    uint32_t clock_khz;           /* for time estimates only */
    uint32_t op_overhead_cycles;  /* fixed cost of launching one layer */
} edla_npu_config;

typedef struct {
    uint32_t magic;          /* EDLA_MAGIC */
    uint16_t version_major;  /* EDLA_VERSION_MAJOR: readers refuse others */
    uint16_t version_minor;  /* additions a v1 reader may ignore */
    uint32_t total_size;     /* bytes in the blob, header included */
    uint32_t crc32;          /* IEEE CRC32 of bytes [16, total_size) */
    uint32_t header_size;    /* sizeof(edla_header) */
    uint32_t scratchpad_required; /* planned peak, bytes */
    uint32_t n_inputs;       /* first n_inputs entries of the IO section */
    uint32_t n_outputs;      /* next n_outputs entries */
    edla_npu_config npu;
    uint32_t n_sections;
    uint16_t sparsity_block; /* MAC-skip granularity: 0 or 1 = per weight (activation), N = per
                                block of N (SPARSE_* below); was the low half of a reserved u32 */
    uint16_t npu_flags;      /* EDLA_NPU_* below; was the high half of that u32 (0) */
    /* v2.1, part of the NPU configuration: the MAC array's own weight buffer,
     * which DMA/DMA_DECODE fill from flash and weighted layers read (EDLA_LOC_WBUF) */
    uint32_t weight_buffer_capacity; /* bytes the NPU has */
    uint32_t weight_buffer_required; /* planned peak of the WBUF tensors, <= capacity */
    uint32_t reserved[2];            /* zero */
} edla_header; /* 80 bytes, followed by n_sections edla_section */

/*
 * edla_header.npu_flags. ACT_SPARSITY: the MAC array skips blocks whose
 * activations are all the zero point (x + input_offset == 0 adds nothing, so
 * outputs are unchanged), in the layers flagged EDLA_OP_FLAG_ACT_SPARSE. A
 * block is sparsity_block MACs along the inner axis as for zero weights (conv:
 * input channels of one tap, FC: depth, depthwise: channels of one tap);
 * padding taps read the zero point. Skipped blocks are counted in
 * macs_skipped_act and cost no compute cycles.
 */
#define EDLA_NPU_ACT_SPARSITY 1u

typedef enum {
    EDLA_SEC_TENSORS = 1, /* count packed tensor records (below) */
    EDLA_SEC_OPS = 2,     /* count packed op records (below) */
    EDLA_SEC_IO = 3,      /* uint32 tensor index[count] = n_inputs + n_outputs */
    EDLA_SEC_CONST = 4,   /* constant data (weights, biases, requant tables) */
    EDLA_SEC_META = 5,    /* UTF-8 JSON for tools; the core ignores it */
    EDLA_SEC_EXT = 6      /* no data: count = bytes of external memory the plan spills to */
} edla_section_kind;

typedef struct {
    uint32_t kind;   /* edla_section_kind */
    uint32_t offset; /* from blob start, multiple of EDLA_ALIGN */
    uint32_t size;   /* bytes */
    uint32_t count;  /* records */
} edla_section;

typedef enum { EDLA_INT8 = 1, EDLA_INT32 = 2, EDLA_FLOAT32 = 3 } edla_dtype; /* float32: model edges only */
/* EXT: external memory (DDR), reached only by DMA ops: a spilled activation.
 * WBUF: the NPU's weight buffer (header.weight_buffer_*), outside the scratchpad:
 * written only by DMA / DMA_DECODE from flash, read only as operand 1 (filter or
 * packed weights) of CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, TRANSPOSE_CONV
 * and the *_SPARSE layers. */
typedef enum { EDLA_LOC_SCRATCH = 0, EDLA_LOC_CONST = 1, EDLA_LOC_EXT = 2, EDLA_LOC_WBUF = 3 } edla_location;

typedef struct {
    uint8_t dtype;     /* edla_dtype */
    uint8_t location;  /* edla_location */
    uint8_t rank;      /* 1..EDLA_MAX_RANK; unused dims are 1 */
    uint8_t reserved;
    int32_t dims[EDLA_MAX_RANK]; /* row-major, NHWC for 4-D */
    uint32_t offset;   /* in the scratchpad, the CONST section, external memory or the weight buffer */
    uint32_t bytes;    /* = product(dims) * element size */
    int32_t zero_point;
} edla_tensor; /* 32 bytes */
/* The blob stores each tensor record packed, so that it costs its information
 * rather than its worst case: u8 dtype, u8 location, u8 rank, rank dims
 * (varint), offset (varint), zero_point (zigzag); unused dims are 1 and bytes
 * is product(dims) * element size. varint: unsigned LEB128 of a 32-bit value,
 * at most 5 bytes; zigzag: the varint of (v << 1) ^ (v >> 31). edla_model_load
 * unpacks the records into edla_tensor. */

/*
 * Operators after lowering. Activations are folded into act_min/act_max,
 * reshapes into aliases, and every multiplier/shift is precomputed by the
 * converter. Requantization tables are per output channel (per-tensor
 * quantization is stored as a table of identical entries).
 */
typedef enum {
    EDLA_OP_CONV_2D = 1,
    EDLA_OP_DEPTHWISE_CONV_2D = 2,
    EDLA_OP_FULLY_CONNECTED = 3,
    EDLA_OP_AVERAGE_POOL_2D = 4,
    EDLA_OP_MAX_POOL_2D = 5,
    EDLA_OP_ADD = 6,
    EDLA_OP_SOFTMAX = 7,
    /* 8..31: element-wise, activation and reduction ops */
    EDLA_OP_MUL = 8,
    EDLA_OP_SUB = 9,
    EDLA_OP_SQUARED_DIFFERENCE = 10,
    EDLA_OP_MAXIMUM = 11,
    EDLA_OP_MINIMUM = 12,
    EDLA_OP_PRELU = 13,
    EDLA_OP_LUT = 14,        /* any int8 -> int8 function: activations, requantize */
    EDLA_OP_QUANTIZE = 15,   /* float32 -> int8 (model inputs) */
    EDLA_OP_DEQUANTIZE = 16, /* int8 -> float32 (model outputs) */
    EDLA_OP_REDUCE_SUM = 17, /* MEAN and SUM */
    EDLA_OP_REDUCE_MAX = 18,
    /* 32..63: data movement and structural ops */
    EDLA_OP_PAD = 32,            /* PAD, PADV2 */
    EDLA_OP_CONCATENATION = 33,  /* CONCATENATION, PACK */
    EDLA_OP_TRANSPOSE = 34,
    EDLA_OP_STRIDED_SLICE = 35,  /* STRIDED_SLICE, SLICE, non-contiguous SPLIT/UNPACK parts */
    EDLA_OP_GATHER = 36,
    EDLA_OP_RESIZE_NEAREST_NEIGHBOR = 37,
    EDLA_OP_RESIZE_BILINEAR = 38,
    EDLA_OP_TRANSPOSE_CONV = 39,
    EDLA_OP_DMA = 64, /* 64..79: the NPU's own commands */
    EDLA_OP_POOL_SUM = 65,  /* a global average pool's row stripe into an int32 sum */
    EDLA_OP_POOL_MEAN = 66, /* the sum's average, as TFLM's int8 AVERAGE_POOL_2D rounds it */
    EDLA_OP_DMA_DECODE = 67,               /* DMA + lossless weight decoder (sparse.c) */
    EDLA_OP_CONV_2D_SPARSE = 68,           /* zero-skipping MAC loops (sparse.c) */
    EDLA_OP_DEPTHWISE_CONV_2D_SPARSE = 69,
    EDLA_OP_FULLY_CONNECTED_SPARSE = 70,
    EDLA_OP_COUNT_ = 80 /* one past the largest op code; unassigned codes are refused */
} edla_opcode;

/* edla_op.flags: the layer runs on the CPU beside the NPU (no MAC-array fit),
 * as Vela reports CPU fallbacks; counters and cycles are reported apart. */
#define EDLA_OP_FLAG_CPU 1u
/* The layer's input is expected to hold many zero points (it comes from a ReLU
 * clamped at the zero point): the MAC array skips zero activations there. Only
 * on CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and their *_SPARSE forms, and
 * only in blobs with EDLA_NPU_ACT_SPARSITY set. */
#define EDLA_OP_FLAG_ACT_SPARSE 2u

/*
 * Operands (in[]) and parameters (p[]) per op:
 *
 * CONV_2D, DEPTHWISE_CONV_2D
 *   in: 0 input [N,H,W,Ci] int8, 1 filter int8 (conv [Co,Kh,Kw,Ci],
 *       depthwise [1,Kh,Kw,Co]), 2 bias int32 [Co] or EDLA_NO_TENSOR,
 *       3 multiplier int32 [Co], 4 shift int32 [Co] (TFLM sign: >0 = left)
 *   out: 0 output [N,Ho,Wo,Co] int8
 *   p: CONV_P_* below.
 * FULLY_CONNECTED
 *   in: 0 input int8 (rows = bytes / depth), 1 filter int8 [Co, depth],
 *       2 bias int32 [Co] or none, 3 multiplier int32 [Co], 4 shift int32 [Co]
 *   out: 0 output int8 [rows, Co] (any rank with that element count)
 *   p: FC_P_* below.
 * AVERAGE_POOL_2D, MAX_POOL_2D
 *   in: 0 input [N,H,W,C]; out: 0 output [N,Ho,Wo,C]; p: POOL_P_*.
 * ADD
 *   in: 0 a, 1 b (4-D, broadcast where a dim is 1); out: 0 [N,H,W,C]; p: ADD_P_*.
 * SOFTMAX
 *   in: 0 input int8 (rows over the last dim); out: 0 int8; p: SOFTMAX_P_*.
 * DMA
 *   in: 0 source; out: 0 destination of the same size: flash -> scratchpad
 *   or NPU weight buffer (weights), scratchpad -> external memory (a spill)
 *   or external memory -> scratchpad (its reload). Counts the bytes; cycles
 *   are bytes / the flash or external-memory rate. The only op that may
 *   touch external memory.
 *
 * POOL_SUM
 *   in: 0 int8 [1,h,W,C] (rows of a global pool's input); out: 0 int32 [C]
 *   scratchpad accumulator; p: 0 = 1 on the first stripe (start from zero).
 * POOL_MEAN
 *   in: 0 int32 accumulator [C]; out: 0 int8 [1,1,1,C]; p: 0 = element count
 *   of the whole pool window, 1 = act_min, 2 = act_max.
 *
 * Output-channel chunks: CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED
 * compute output channels [CHANNEL_BEGIN, CHANNEL_END) of their output (all
 * other channels are left untouched). Their filter operand holds exactly
 * those channels (conv [end-begin,Kh,Kw,Ci], depthwise [1,Kh,Kw,end-begin],
 * FC [end-begin, depth]) and may live in the scratchpad (staged by a DMA op);
 * bias, multiplier and shift tables always cover all output channels. For
 * depthwise, begin and end are multiples of the depth multiplier. Row stripes
 * need no parameter: they are views (tensor records) onto row ranges, with the
 * padding adjusted by the converter.
 */
enum {
    CONV_P_STRIDE_H, CONV_P_STRIDE_W, CONV_P_DILATION_H, CONV_P_DILATION_W,
    CONV_P_PAD_TOP, CONV_P_PAD_LEFT, CONV_P_INPUT_OFFSET, CONV_P_OUTPUT_OFFSET,
    CONV_P_ACT_MIN, CONV_P_ACT_MAX, CONV_P_DEPTH_MULTIPLIER,
    CONV_P_CHANNEL_BEGIN, CONV_P_CHANNEL_END
};

/*
 * Sparse weights and weight compression (sparse.c, docs/sparsity.md).
 *
 * DMA_DECODE
 *   in: 0 int8 constant: a weight stream (below); out: 0 int8 scratchpad
 *   or weight-buffer (EDLA_LOC_WBUF) tensor; p: DEC_P_*. Streams the compressed
 *   bytes from flash and decodes them into the weight buffer. MODE_DENSE
 *   writes out.bytes filter bytes in their stored order; MODE_SPARSE writes the packed layout below for
 *   DEC_P_CO channels of DEC_P_TAPS taps of DEC_P_INNER weights (coded in
 *   [Co][taps][inner] order), after the channels' bias (if DEC_P_HAS_BIAS),
 *   multiplier and shift tables. A stream that does not decode to DEC_P_NNZ
 *   non-zero weights yields an all-zero (empty) layout. Cycles:
 *   max(compressed bytes / flash rate, decoded bytes / 8), hidden behind the
 *   previous layer like DMA.
 * Packed sparse layout (4-byte aligned, little-endian):
 *   u32 nnz, u32 executed MACs per output pixel (row for FC) at the header's
 *   sparsity_block granularity, u32 0, u32 0, i32 bias[Co], i32 mult[Co],
 *   i32 shift[Co], u16 count[Co][taps] (non-zero weights of each channel and
 *   tap), u16 inner index[nnz], i8 value[nnz]; entries in [Co][taps][inner]
 *   order. Blocks of sparsity_block weights run along the inner axis (conv:
 *   input channels, FC: depth), for depthwise along the channels of a tap.
 * CONV_2D_SPARSE, DEPTHWISE_CONV_2D_SPARSE
 *   in: 0 input [N,H,W,Ci], 1 packed weights (chunk channels, taps = Kh*Kw,
 *   inner = Ci for conv, 1 for depthwise); out: 0 [N,Ho,Wo,Co]. p: CONV_P_*
 *   then SPARSE_P_KH, SPARSE_P_KW. Bias/mult/shift are chunk-local.
 * FULLY_CONNECTED_SPARSE
 *   in: 0 input, 1 packed weights (taps 1, inner = depth); out: 0 [rows, Co].
 *   p: FC_P_* (FC_P_FILTER_OFFSET must be 0) then SPFC_P_DEPTH.
 * Packed dense (DEC_MODE_PACKED_DENSE, and SPARSE_P_DENSE / SPFC_P_DENSE = 1 on
 * the layer): the same header and tables, then the dense filter in the dense
 * kernel's layout (depthwise [taps][Co]: DEC_P_BLOCK_AXIS = 1 transposes the
 * coded [Co][taps] order), chunk-local like the sparse layout (a chunk's
 * tables and filter cover [CHANNEL_BEGIN, CHANNEL_END)). The layer then runs the
 * dense loops (every MAC executed): tables compressed with the weights, for flash.
 * Only non-zero weights are visited; macs counts the executed MACs (pixels x
 * the packed count, padding taps counted as the dense kernels count them) and
 * macs_skipped the rest of the dense count.
 */
enum { DEC_P_MODE, DEC_P_CO, DEC_P_TAPS, DEC_P_INNER, DEC_P_NNZ, DEC_P_HAS_BIAS, DEC_P_BLOCK_AXIS };
enum { DEC_MODE_DENSE = 0, DEC_MODE_SPARSE = 1, DEC_MODE_PACKED_DENSE = 2 };
enum { SPARSE_P_KH = 13, SPARSE_P_KW = 14, SPARSE_P_DENSE = 15 };
enum { SPFC_P_DEPTH = 7, SPFC_P_DENSE = 8 };
#define EDLA_SPARSE_HEADER 16u
#define EDLA_DECODE_BYTES_PER_CYCLE 8u
#define EDLA_MAX_SPARSITY_BLOCK 4096u

/*
 * Weight stream (DMA_DECODE's input; codec.c, docs/sparsity.md), since format 2:
 *   three LEB128 varints taps, inner, kw: the geometry of the coded weights
 *   (a row is taps x inner weights, taps in rows of kw; a weight's left
 *   neighbour is inner weights back, its up neighbour kw * inner back; all
 *   zero: no neighbours); a rates byte: fast shift f (bits 0-3, clamped to
 *   [2, 8]) and slow limit s (bits 4-7, clamped to [1, 12]); three prior
 *   bytes, one per weight class (below): 0, or the mean M of |r| - 1 that
 *   starts the class's magnitude tree at weights w(0) = 2^24,
 *   w(m + 1) = w(m) - w(m) / (M + M / 4), each node's p = 2^16 * left / all
 *   (integer, clamped to [64, 65472]), as if 64 bits were seen; then a binary
 *   range code (LZMA's carry handling, without its always-zero first byte; it
 *   renormalises while the range is below 2^24) of the tables, then the
 *   weights. Trailing zero bytes are not stored: past its end a stream reads
 *   as zeros. Every binary decision has an
 *   adaptive probability of a 0, p = (fast + slow / 2^16) / 2 in 1/2^16 units:
 *   fast (16-bit, from 2^15) moves by 1/2^f of the distance to the bit, slow
 *   (32-bit, from 2^31) by 1/2^min(s, bit_length(n + 1)) after n bits seen.
 *   Table value (kind 0 bias, 1 multiplier, 2 shift; a stream of k tables
 *   holds the last k kinds): a flag "equal to the previous value" (the first
 *   compares with 0), else the bit length n of |v| (6-bit tree, started by
 *   codec.c's table_prior at typical lengths as if 2 bits were seen), then if
 *   n > 0 the sign and bits n-2..0 of |v|, one probability per kind and bit
 *   position.
 *   Weight: residual r = int8(w - p), p = floor((2 left + 2 up - up_left) / 4)
 *   over the neighbours that exist (missing ones count 0); class 0 without
 *   neighbours, else 1 or 2 by |left| + |up| (doubled with one neighbour)
 *   below 60 or not; a non-zero flag per class and count of zeros among the
 *   two previous weights (before the first: zeros), then the sign (per class and
 *   sign of p) and |r| - 1 through a 7-bit tree per class. Geometries whose
 *   up-left distance (kw + 1) * inner exceeds 1024, or taps not a multiple of
 *   kw, code without neighbours. edla_encode_stream writes it (encoder and
 *   decoder share the model): `n` int8 weights after `n_tables` <= 3 int32
 *   tables of table_len values; returns the size, or 0 if cap is too small.
 */
size_t edla_encode_stream(const int32_t *tables, size_t n_tables, size_t table_len,
                          const int8_t *weights, size_t n, uint32_t taps, uint32_t inner,
                          uint32_t kw, uint8_t *out, size_t cap);
/* Its mirror (tests, tools): decodes `size` stream bytes into the tables and
 * weights; reads never pass stream + size (a short stream decodes to some values). */
void edla_decode_stream(const uint8_t *stream, size_t size, int32_t *tables, size_t n_tables,
                        size_t table_len, int8_t *weights, size_t n);

enum {
    FC_P_INPUT_OFFSET, FC_P_FILTER_OFFSET, FC_P_OUTPUT_OFFSET, FC_P_ACT_MIN, FC_P_ACT_MAX,
    FC_P_CHANNEL_BEGIN, FC_P_CHANNEL_END
};
enum {
    POOL_P_STRIDE_H, POOL_P_STRIDE_W, POOL_P_FILTER_H, POOL_P_FILTER_W,
    POOL_P_PAD_TOP, POOL_P_PAD_LEFT, POOL_P_ACT_MIN, POOL_P_ACT_MAX
};
enum {
    ADD_P_LEFT_SHIFT, ADD_P_INPUT1_OFFSET, ADD_P_INPUT1_MULTIPLIER, ADD_P_INPUT1_SHIFT,
    ADD_P_INPUT2_OFFSET, ADD_P_INPUT2_MULTIPLIER, ADD_P_INPUT2_SHIFT,
    ADD_P_OUTPUT_OFFSET, ADD_P_OUTPUT_MULTIPLIER, ADD_P_OUTPUT_SHIFT,
    ADD_P_ACT_MIN, ADD_P_ACT_MAX
};
enum { SOFTMAX_P_INPUT_MULTIPLIER, SOFTMAX_P_INPUT_LEFT_SHIFT, SOFTMAX_P_DIFF_MIN };

/*
 * Data movement and structural ops. All but TRANSPOSE_CONV are flagged
 * EDLA_OP_FLAG_CPU; they move int8 values unchanged (as TFLM does, whatever
 * the tensors' quantization) unless stated. Shapes are right-aligned to 4-D
 * by the converter (leading 1s). EXPAND_DIMS, SQUEEZE, RESHAPE and contiguous
 * slices/splits are views (tensor records), not ops.
 *
 * PAD
 *   in: 0 input; out: 0 output, 4-D; p: PAD_P_*. The input is placed at
 *   offset PAD_P_BEFORE_d in an output filled with PAD_P_VALUE.
 * CONCATENATION
 *   in: 0..n-1 inputs (n <= 6), 4-D; out: 0 joined along CONCAT_P_AXIS.
 *   Input i < CONCAT_MAX_REQUANT with bit i of CONCAT_P_REQUANT_MASK is
 *   requantized like TFLM's int8 QUANTIZE: clamp(MultiplyByQuantizedMultiplier(
 *   x + offset_i, multiplier_i, shift_i) + CONCAT_P_OUTPUT_OFFSET); the triple
 *   of input i is p[CONCAT_P_INPUT0 + 3i ...]. Other inputs are copied.
 * TRANSPOSE
 *   in: 0 input; out: 0, 4-D, out dim d = in dim TRANSPOSE_P_PERM_d.
 * STRIDED_SLICE
 *   in: 0 input; out: 0, 4-D; out[i..] = in[begin_d + i_d * stride_d ..]
 *   (SLICE_P_*; strides non-zero, may be negative).
 * GATHER
 *   in: 0 input [B,O,A,I], 1 indices int32 [B,N] constant, each in [0, A);
 *   out: 0 [B,O,N,I]. No p.
 * RESIZE_NEAREST_NEIGHBOR
 *   in: 0 input [N,H,W,C], 1 source row per output row int32 [Ho] constant,
 *   2 source column per output column int32 [Wo] constant; out: 0 [N,Ho,Wo,C].
 *   (TFLM's float index arithmetic is evaluated by the converter.)
 * RESIZE_BILINEAR
 *   in: 0 input [N,H,W,C]; out: 0 [N,Ho,Wo,C]; p: RESIZE_P_* (TFLM's integer
 *   path: scales in 1/1024 units).
 * TRANSPOSE_CONV (NPU, counts MACs)
 *   in: as CONV_2D (filter [Co,Kh,Kw,Ci], optional bias, per-channel multiplier
 *   and shift; output-channel chunks as CONV_2D's); out: 0 [N,Ho,Wo,Co];
 *   p: TCONV_P_*.
 */
enum { PAD_P_BEFORE_0, PAD_P_BEFORE_1, PAD_P_BEFORE_2, PAD_P_BEFORE_3, PAD_P_VALUE };
#define CONCAT_MAX_REQUANT 5
enum { CONCAT_P_AXIS, CONCAT_P_OUTPUT_OFFSET, CONCAT_P_REQUANT_MASK, CONCAT_P_INPUT0 };
enum { TRANSPOSE_P_PERM_0, TRANSPOSE_P_PERM_1, TRANSPOSE_P_PERM_2, TRANSPOSE_P_PERM_3 };
enum {
    SLICE_P_BEGIN_0, SLICE_P_BEGIN_1, SLICE_P_BEGIN_2, SLICE_P_BEGIN_3,
    SLICE_P_STRIDE_0, SLICE_P_STRIDE_1, SLICE_P_STRIDE_2, SLICE_P_STRIDE_3
};
enum { RESIZE_P_SCALE_H, RESIZE_P_SCALE_W, RESIZE_P_HALF_PIXEL };
enum {
    TCONV_P_STRIDE_H, TCONV_P_STRIDE_W, TCONV_P_PAD_TOP, TCONV_P_PAD_LEFT, TCONV_P_INPUT_OFFSET,
    TCONV_P_OUTPUT_OFFSET, TCONV_P_ACT_MIN, TCONV_P_ACT_MAX, TCONV_P_CHANNEL_BEGIN,
    TCONV_P_CHANNEL_END
};

/*
 * Element-wise, activation and reduction ops (all flagged EDLA_OP_FLAG_CPU).
 * Binary ops broadcast like ADD: shapes right-aligned to 4-D, a dim of 1
 * broadcasts.
 *
 * MUL
 *   in: 0 a, 1 b int8; out: 0 int8; p: MUL_P_*.
 * SUB, SQUARED_DIFFERENCE
 *   in: 0 a, 1 b int8; out: 0 int8; p: ADD_P_* (SQUARED_DIFFERENCE: the output
 *   multiplier applies to the squared difference and its shift may be > 0).
 * MAXIMUM, MINIMUM
 *   in: 0 a, 1 b int8 (raw values compared, as TFLM does); out: 0 int8; no p.
 * PRELU
 *   in: 0 input int8, 1 alpha int8 (broadcast onto the input); out: 0 int8 of
 *   the input's shape; p: PRELU_P_*.
 * LUT
 *   in: 0 input int8, 1 table int8 [256] constant; out: 0 int8 of the same
 *   element count, out[i] = table[in[i] + 128]. The converter evaluates TFLM's
 *   integer reference (LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU, RELU*, int8
 *   QUANTIZE) once per input value.
 * QUANTIZE
 *   in: 0 float32; out: 0 int8, same element count; p: QUANT_P_*.
 *   out = clamp(round_half_away(in / scale) + zero_point) in float32.
 * DEQUANTIZE
 *   in: 0 int8; out: 0 float32, same element count; p: QUANT_P_*.
 *   out = (float)(in - zero_point) * scale in float32.
 * REDUCE_SUM (MEAN, SUM), REDUCE_MAX
 *   in: 0 input int8 (right-aligned to 4-D); out: 0 int8 holding the kept
 *   dims in order (any rank); p: REDUCE_P_*. REDUCE_SUM outputs
 *   requantize(sum - zero_point * n) + output zero point, clamped (the
 *   multiplier includes MEAN's 1/n); REDUCE_MAX the raw maximum.
 */
enum {
    MUL_P_INPUT1_OFFSET, MUL_P_INPUT2_OFFSET, MUL_P_OUTPUT_OFFSET, MUL_P_OUTPUT_MULTIPLIER,
    MUL_P_OUTPUT_SHIFT, MUL_P_ACT_MIN, MUL_P_ACT_MAX
};
enum {
    PRELU_P_INPUT_OFFSET, PRELU_P_ALPHA_OFFSET, PRELU_P_OUTPUT_OFFSET, PRELU_P_POS_MULTIPLIER,
    PRELU_P_POS_SHIFT, PRELU_P_NEG_MULTIPLIER, PRELU_P_NEG_SHIFT
};
enum { QUANT_P_SCALE_BITS, QUANT_P_ZERO_POINT }; /* scale: IEEE float32 bit pattern */
enum {
    REDUCE_P_AXIS_MASK, /* bit d set: extended dim d is reduced */
    REDUCE_P_INPUT_ZERO_POINT, REDUCE_P_OUTPUT_ZERO_POINT, REDUCE_P_MULTIPLIER, REDUCE_P_SHIFT
};

typedef struct {
    uint16_t opcode;                      /* edla_opcode */
    uint8_t n_in;                         /* operands used in in[] */
    uint8_t n_out;
    uint16_t in[EDLA_MAX_OP_INPUTS];      /* tensor index or EDLA_NO_TENSOR */
    uint16_t out[EDLA_MAX_OP_OUTPUTS];
    uint32_t flags;                       /* EDLA_OP_FLAG_* */
    int32_t p[EDLA_OP_PARAMS];
} edla_op; /* 96 bytes */
/* Packed op record: opcode (varint), u8 n_in, u8 n_out, the n_in inputs then
 * the n_out outputs (varint: tensor index + 1, 0 for EDLA_NO_TENSOR), flags
 * (varint), u8 n_params, n_params params (zigzag); the operands after them
 * are EDLA_NO_TENSOR and the params after them 0. */

/* ---- loaded model: a validated view into the caller's blob -------------- */
typedef struct {
    const uint8_t *blob;
    const edla_header *header;
    const edla_tensor *tensors;
    const edla_op *ops;
    const uint32_t *io;
    const uint8_t *consts;
    uint32_t n_tensors;
    uint32_t n_ops;
    uint32_t consts_size;
    uint32_t ext_required; /* bytes of external memory edla_invoke_ext needs (0: none) */
    const struct edla_host_plan *host_plan; /* host builds: layers prepared at load (0: none) */
    uint8_t *weight_buffer; /* set by edla_model_bind_weight_buffer (NULL: not bound) */
} edla_model;

/* Measured per layer by the core during edla_invoke. */
typedef struct {
    uint32_t macs;         /* multiply-accumulates executed */
    uint32_t macs_skipped; /* MACs skipped for zero weights (sparse layers) */
    uint32_t dma_bytes;    /* bytes moved from flash or external memory */
    uint32_t cycles;       /* modeled NPU cycles */
    uint32_t macs_skipped_act; /* MACs skipped for zero-point activations (EDLA_OP_FLAG_ACT_SPARSE);
                                  macs + macs_skipped + macs_skipped_act = the dense count */
} edla_counters;

/* IEEE CRC32 (the zlib polynomial), chainable: crc = edla_crc32(crc, p, n). */
uint32_t edla_crc32(uint32_t crc, const void *data, size_t size);

/*
 * Validate a blob completely and fill *model. Nothing in the blob is trusted
 * before this returns EDLA_OK: header, CRC, every section bound, every tensor
 * and op record, every operand index and shape, and that the plan fits
 * scratchpad_capacity bytes (pass the NPU's real SRAM size). The packed
 * records are unpacked into records (16-byte aligned, the caller's, kept for
 * the model's life): at least edla_model_records_bytes(blob) bytes, else
 * EDLA_ERR_MEMORY. A blob refused for itself is refused first.
 */
edla_status edla_model_load(edla_model *model, const void *blob, size_t blob_size,
                            uint32_t scratchpad_capacity, void *records, size_t records_size);
/* Bytes of records edla_model_load needs for this blob (its tensor and op
 * counts); 0 when it is not a well-formed blob of this version. It reads the
 * header and section table only (no CRC: edla_model_load checks everything). */
size_t edla_model_records_bytes(const void *blob, size_t blob_size);

/*
 * Give a loaded model the NPU weight buffer its WBUF tensors live in: size bytes,
 * 16-byte aligned, at least header->weight_buffer_required (EDLA_ERR_CONFIG if
 * smaller). Required before invoking (or filling a decode cache for) a model
 * whose weight_buffer_required is not 0; the caller owns the memory.
 */
edla_status edla_model_bind_weight_buffer(edla_model *model, uint8_t *buffer, uint32_t size);

/*
 * Run every op once. Inputs must already be in the scratchpad at their
 * tensors' offsets; outputs are there afterwards. counters may be NULL, else
 * it holds model->n_ops entries. scratchpad must be 16-byte aligned and at
 * least header->scratchpad_required bytes.
 */
edla_status edla_invoke(const edla_model *model, uint8_t *scratchpad, edla_counters *counters);

/* edla_invoke for plans that spill: external is model->ext_required bytes of
 * external memory, 16-byte aligned (may be NULL when ext_required is 0). */
edla_status edla_invoke_ext(const edla_model *model, uint8_t *scratchpad, uint8_t *external,
                            edla_counters *counters);

/*
 * Host speed-up for blobs with compressed weights: the decoded weight streams
 * are the same on every inference, so a host may decode them once into a
 * cache of edla_decode_cache_bytes() bytes (edla_decode_cache_fill, any
 * scratchpad as work space) and then run edla_invoke_cached, which copies
 * from the cache instead of decoding. Outputs and counters are identical: the
 * counters model the NPU's decoder, not the host's work. The board firmware
 * does the same after each LOAD_COMMIT (firmware/src/main.c).
 */
uint32_t edla_decode_cache_bytes(const edla_model *model);
void edla_decode_cache_fill(const edla_model *model, uint8_t *scratchpad, uint8_t *cache);
edla_status edla_invoke_cached(const edla_model *model, uint8_t *scratchpad, uint8_t *external,
                               const uint8_t *cache, edla_counters *counters);
/* What a binding's inferences read and write, set up once (host_io.c):
 * edla_invoke_cached's arguments, and per I/O entry the bytes to copy in
 * (inputs[i]) and out (outputs[j], NULL: left in the scratchpad). One struct,
 * so a call from Python converts one argument, not seven. */
typedef struct {
    const edla_model *model;
    uint8_t *scratchpad;
    uint8_t *external;
    const uint8_t *cache;
    edla_counters *counters;
    const void *const *inputs;
    void *const *outputs;
} edla_io;
/* One inference: inputs copied in, edla_invoke_cached, outputs copied out. */
edla_status edla_invoke_io(const edla_io *io);
/* n inferences: inputs[i] and outputs[j] each hold n consecutive tensors of
 * I/O entry i / j; counters: the last inference's. */
edla_status edla_invoke_batch(const edla_io *io, uint32_t n);

/*
 * Host builds: prepare the conv, depthwise and FC layers whose weights are
 * constant (in flash, or staged from flash by DMA / DMA_DECODE: cache is the
 * filled decode cache, or NULL) into the layouts of the host's fast kernels,
 * and attach them to model. Outputs and counters do not change. 0 on success
 * or when there is nothing to prepare (no fast kernels); -1 out of memory.
 * edla_host_plan_free detaches and frees (a model without a plan: no-op).
 */
int edla_host_plan_new(edla_model *model, const uint8_t *cache);
void edla_host_plan_free(edla_model *model);
/* Op i's prepared kind (0: none, 1 conv, 2 depthwise, 3 FC), for tests and profiles. */
int edla_host_prepared(const edla_model *model, uint32_t op_index);
/* Op i runs fused with its layer's other FC chunks: 1 it runs them all, 2 an earlier chunk did. */
int edla_host_fused(const edla_model *model, uint32_t op_index);

/* Address of a tensor's data (scratchpad or constant), NULL if out of range. */
void *edla_tensor_data(const edla_model *model, uint8_t *scratchpad, uint32_t tensor_index);

/*
 * TFLM's default (double-rounding) requantization: round(acc * multiplier *
 * 2^shift / 2^31) via SaturatingRoundingDoublingHighMul and
 * RoundingDivideByPOT. shift > 0 shifts left first. Exported for tests;
 * kernels use the inline twin in requant.h.
 */
int32_t edla_requantize(int32_t acc, int32_t multiplier, int32_t shift);

/* Human-readable name of a status code (static storage). */
const char *edla_status_name(edla_status status);

#ifdef __cplusplus
}
#endif
#endif /* EDLA_H */
