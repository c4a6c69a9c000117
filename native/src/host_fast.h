/*
 * host_fast.h - optional fast paths of the hot loops: x86-64 hosts
 * (host_x86.c) and Cortex-M55 firmware built with MVE (mve.c).
 *
 * conv_2d.c, depthwise_conv_2d.c and fully_connected.c first offer their work
 * to these functions; each returns 1 when it computed the whole op (bit-exact
 * with the portable loops), 0 to let the portable C path run. On x86-64 the
 * instruction set is chosen at run time (CPU detection), capped by
 * edla_set_isa(); on the M55 at build time. The core itself keeps no state.
 */
#ifndef EDLA_HOST_FAST_H
#define EDLA_HOST_FAST_H

#include "kernel_util.h"

/* Instruction-set levels of the host fast paths. */
enum { EDLA_ISA_PORTABLE = 0, EDLA_ISA_AVX2 = 1, EDLA_ISA_AVX512_VNNI = 2,
       EDLA_ISA_AVX512_VBMI = 3 /* VNNI and VBMI (vpermi2b: ADD's input tables) */ };

/* Caps the level used (negative: the best the CPU has); returns the level in
 * effect. Host builds only; always EDLA_ISA_PORTABLE off x86-64. */
int edla_set_isa(int level);

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define EDLA_HOST_FAST 1 /* host_x86.c: AVX2 / AVX-512 VNNI, chosen at run time */
#define EDLA_MVE_FAST 0
#elif defined(EDLA_USE_MVE) && defined(__ARM_FEATURE_MVE)
#define EDLA_HOST_FAST 0
#define EDLA_MVE_FAST 1 /* mve.c: Cortex-M55 Helium, chosen at build time (make MVE=1) */
#else
#define EDLA_HOST_FAST 0
#define EDLA_MVE_FAST 0
#endif
#define EDLA_FAST_KERNELS (EDLA_HOST_FAST || EDLA_MVE_FAST)

#if EDLA_FAST_KERNELS
int edla_fast_conv_2d(const ku_channel_op_data *d, const ku_window *g);
int edla_fast_depthwise_conv_2d(const ku_channel_op_data *d, const ku_window *g,
                                int depth_multiplier);
int edla_fast_fully_connected(const ku_channel_op_data *d, size_t rows, size_t out_c, int depth,
                              int32_t filter_offset);
/* ADD of n unbroadcast elements: out[i] = add(a[i], b[i]) with the ADD_P_* params p. */
int edla_fast_add(const int8_t *a, const int8_t *b, int8_t *out, size_t n, const int32_t *p);
/* Activation-sparsity counting with skip blocks of 1 (act_sparse.c): over
 * window g, the zero points read by every output pixel's taps in channels
 * [c_first, c_first + c_count) of each input pixel, padding taps counting
 * c_count (0: not handled, count the portable way). */
int edla_fast_act_zero(const ku_window *g, const int8_t *input, size_t c_first, size_t c_count,
                       int8_t zp, uint64_t *zeros);
/* AVERAGE_POOL_2D (max_pool 0) or MAX_POOL_2D over window g (pool.c). */
int edla_fast_pool(const ku_window *g, const int8_t *input, int8_t *out, int max_pool,
                   int32_t act_min, int32_t act_max);
#endif
#if EDLA_MVE_FAST
/* DEPTHWISE_CONV_2D 3x3 over a zero-point-padded copy of the input
 * (depthwise_conv_2d.c); zeros: 0, or where to put the zero points its taps
 * read (activation-sparsity counts, skip blocks of 1). 0: not handled. */
int edla_mve_depthwise_3x3(const ku_channel_op_data *d, const ku_window *g, int depth_multiplier,
                           uint64_t *zeros);
/* Sparse 1x1 conv and FC (sparse.c): acc[c] = sum over channel c's entries (count[c]
 * of them, in order, clamped to nnz) with index < inner of
 * value * (x[index] + input_offset), mod 2^32. */
void edla_fast_sparse_dots(const uint16_t *count, const uint16_t *index, const int8_t *value,
                           uint32_t nnz, int co, unsigned inner, const int8_t *x,
                           int32_t input_offset, uint32_t *acc);
/* Sparse 1x1 conv as dense (sparse.c): the [co][inner] filter of the layout
 * (entries as edla_fast_sparse_dots reads them) into dense, and if runs, per
 * input channel the entries reading it; 0: a layout it does not take (an
 * index >= inner or not increasing within a channel, a zero value). */
int edla_fast_sparse_expand(const uint16_t *count, const uint16_t *index, const int8_t *value,
                            uint32_t nnz, int co, unsigned inner, int8_t *dense, uint16_t *runs);
/* The MACs a 1x1 stride-1 layer skips for zero-point activations, skip blocks
 * of 1: sum over input channels i of runs[i] x (pixels with x[.][i] == zp);
 * pixels <= 65535. */
uint64_t edla_fast_sparse_act_1x1(const int8_t *x, size_t pixels, unsigned inner, int8_t zp,
                                  const uint16_t *runs);
/* out[c] = requantize_to_int8(acc[c] + bias[c], mult[c], shift[c], ...) for
 * c < n; tables that pass requant_table_ok. */
void edla_fast_requant_out(const uint32_t *acc, const int32_t *bias, const int32_t *mult,
                           const int32_t *shift, int n, int32_t output_offset, int32_t act_min,
                           int32_t act_max, int8_t *out);
#endif

#if EDLA_HOST_FAST
/* *count = how many of x[0..n) equal zp (activation-sparsity counts); 0: not here. */
int edla_fast_count_eq(const int8_t *x, size_t n, int8_t zp, uint32_t *count);
/* Sparse layers' activation counts over all taps at once (sp_act_zero, skip
 * blocks of 1): *skipped = sum over taps t and i < n <= 64 of runs[t * stride +
 * i] x (output pixels of window g whose tap t is padding or reads zp at
 * channel c_first + i); 0: not here. */
int edla_fast_sparse_act_zero(const ku_window *g, const int8_t *input, size_t c_first, size_t n, int8_t zp,
                              const uint32_t *runs, size_t stride, uint64_t *skipped);
/* 1 if edla_fast_sparse_act_zero takes window g (the level in effect, byte and
 * 16-bit counters: in_w < 256 and at most 65535 input pixels). */
int edla_fast_sparse_act_zero_fits(const ku_window *g);

/* Layers prepared once at load (host_plan.c builds, host_x86.c runs): conv,
 * depthwise and FC whose weights are provably constant (in flash, or staged by
 * DMA / DMA_DECODE from flash), sparse and packed-dense ones expanded to dense.
 * XNNPACK packs its weights at delegate init the same way; the blob keeps the
 * layout the NPU and the MVE kernels want. */
enum { HP_NONE, HP_CONV, HP_DEPTHWISE, HP_FC };

typedef struct {
    int kind;               /* HP_*; HP_NONE: the op runs its own eval */
    ku_channel_op_data d;   /* dense filter and tables (input/out: per run) */
    int chunk_begin;        /* sparse layers: their chunk-local tables start at this channel */
    ku_window g;            /* conv, depthwise */
    int depth_multiplier;
    size_t rows, depth, out_c; /* FC */
    /* VNNI layout (conv with dilation_w 1, FC; else packed is 0 and d runs the
     * per-invoke kernels): blocks of 16 channels x groups of 4 bytes of K, one
     * filter row (k_w * in_c bytes) per row_groups groups; the input is read
     * from a copy (u8 x ^ 0x80) padded with the zero point, hp x wp pixels */
    int8_t *packed;
    int kh;                  /* filter rows (FC: 1) */
    size_t row_groups, groups, hp, wp;
    /* where block b's group q lies (hp_block): FC interleaves the 4 blocks of a
     * tile group by group, so a GEMV streams one run of weights, not 4 */
    size_t tile_blocks, blk_stride, grp_stride;
    /* depthwise: input columns split by stride phase (wq per phase), channel
     * phases of the 64-output runs, each tap's offset in the input copy */
    int col_phases, chan_phases;
    int row_pairs;           /* depthwise, k_h <= 3, stride_h == dil_h: output rows in pairs
                              * over 4 input rows (pair weights after the packed ones) */
    int round64;             /* depthwise: every channel shifts right by 1..23 (hp_dw_round64) */
    size_t wq;
    size_t *tap_off;
    int32_t *corr, *mult, *lshift, *rshift; /* epilogue per channel, padded to whole blocks */
    /* FC of one row over a ReLU's output (act_input): its weights also by input
     * column, cols_stride bytes each, for the walk over the nonzero activations
     * (hp_run_fc_sparse); its accumulators start at col_bias */
    int act_input;
    int8_t *cols;
    int32_t *col_bias;
    size_t cols_stride;
    void *owned_cols;
    int lshifts;             /* some channel shifts left (its epilogue has the shift) */
    int ep_round;            /* conv / FC: every channel shifts right and its accumulator
                              * provably stays below 2^31 - 2^(rs-1) (hp_requant_round) */
    size_t work_bytes;       /* bytes of the input copy */
    void *owned;             /* host_x86.c's allocation (packed weights and tables) */
    void *owned_filter;      /* host_plan.c's allocation (an expanded sparse filter) */
    int has_exec;            /* sparse: exec, the layout header's executed MACs, kept */
    uint32_t exec;
    uint32_t *act_runs;      /* sparse conv/depthwise flagged for activation sparsity:
                              * edla_sparse_act_runs of its weights (host_plan.c owns) */
    int fused;               /* HP_FUSED_*: output-channel chunks of one FC or conv layer run as one */
    /* FC counted at run time from values fixed at load (edla_host_eval), as its
     * op's eval counts (skip blocks of 1): per input row, unit_macs dense MACs of
     * which unit_exec execute; each zero-point input skips zero_macs of them
     * (dense) or zero_runs[i] (sparse: the entries reading input i) */
    int counts;
    int8_t zp;
    uint64_t unit_macs, unit_exec;
    uint32_t zero_macs;
    uint8_t *zero_runs;
} hp_op;

/* A layer split into chunk ops (one per NPU weight-buffer fill) runs as one
 * GEMV or conv at its first chunk (packed over every chunk's channels); the later
 * chunks only count, as each op's eval does before it offers the work. */
enum { HP_FUSED_NONE, HP_FUSED_LEAD, HP_FUSED_TAIL };

struct edla_host_plan {
    uint32_t n_ops;
    hp_op *ops;
    uint8_t *work; /* the largest layer's input copy */
    uint8_t *skip_copy; /* per op: a DMA / DMA_DECODE into the weight buffer nobody reads */
    void *work_raw;
};

/* Runs op from its prepared entry if it has one and the VNNI level is in
 * effect; 0: the caller's own loops run. Counters are the caller's business. */
int edla_host_run(const edla_model *model, const edla_op *op, const int8_t *input, int8_t *out);
/* host_x86.c: fills the VNNI layout of an entry whose d, g / rows, depth are set; 0: cannot. */
int edla_host_pack(hp_op *e);
void edla_host_unpack(hp_op *e);
int edla_host_vnni(void); /* the CPU has AVX-512 VNNI (whatever edla_set_isa says) */
/* n zeroed bytes at a 64-byte boundary inside a malloc'd block *raw (free(*raw)); 0 if none. */
void *edla_host_alloc64(size_t n, void **raw);
/* sparse.c: dense filter ([co][taps][inner], depthwise [taps][co]) and bias,
 * mult, shift (3 * co) equal to a packed sparse / packed-dense buffer, 0 if
 * the sparse loop would compute something a dense filter cannot express. */
int edla_sparse_dense(const edla_op *op, int depthwise, int inner, const uint8_t *packed,
                      uint32_t bytes, int8_t *filter, int32_t *tables);
/* sparse.c: the executed runs per (tap, block of the act-skip granularity) of a
 * sparse conv / depthwise layout, runs[tap * blocks + block]; host_plan.c keeps
 * them and edla_host_act_runs hands them to the count (0: count from the layout). */
void edla_sparse_act_runs(const edla_model *model, const edla_op *op, const uint8_t *packed,
                          uint32_t bytes, uint32_t *runs);
const uint32_t *edla_host_act_runs(const edla_model *model, const edla_op *op);
/* The executed-MAC count of a prepared sparse layer's layout header (1), or 0. */
int edla_host_sparse_exec(const edla_model *model, const edla_op *op, uint32_t *exec);
/* Op i (an FC with counts prepared at load) counted and run from its entry
 * (sim.c, instead of its eval); 0: the eval runs. */
int edla_host_eval(const edla_model *model, uint32_t i, uint8_t *scratch, edla_counters *counters);
/* Op i (DMA / DMA_DECODE) need not copy: its bytes are read by no one (sim.c). */
int edla_host_skips_copy(const edla_model *model, uint32_t i);
#endif

#endif /* EDLA_HOST_FAST_H */
