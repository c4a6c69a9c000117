/*
 * profile.c - per-layer instruction counts, in a debug build only
 * (make PROFILE=1; the Makefile links sim.c's calls of the kernels below
 * through these wrappers with --wrap).
 *
 * Each wrapper reads the INVOKE stopwatch before and after its kernel. After
 * an INVOKE, profile_report prints one line per op on the semihosting console
 * (QEMU's stdout, the host's QEMU log):
 *   edla-profile OP_INDEX OPCODE INSTRUCTIONS
 * and one "edla-profile gaps INSTRUCTIONS" line for what ran outside them
 * (the dispatch loop, DMA copies, decode-cache copies). Resolution: one
 * SysTick tick, 31.25 instructions; reading the stopwatch costs ~20.
 */
#ifdef EDLA_PROFILE

#include "board.h"
#include "profile.h"
#include "kernels.h"

#define PROFILE_MAX_OPS 512u

static uint64_t op_ticks[PROFILE_MAX_OPS], inside;

static void account(const edla_model *m, const edla_op *op, uint64_t t0) {
    const uint32_t i = (uint32_t)(op - m->ops);
    const uint64_t dt = board_stopwatch_ticks() - t0;
    if (i < PROFILE_MAX_OPS)
        op_ticks[i] += dt;
    inside += dt;
}

/* PROFILED(name): the wrapper of edla_eval_name; the Makefile wraps exactly
 * the names listed here. */
#define PROFILED(name)                                                                    \
    void __real_edla_eval_##name(const edla_model *, const edla_op *, uint8_t *,          \
                                 edla_counters *);                                        \
    void __wrap_edla_eval_##name(const edla_model *m, const edla_op *op, uint8_t *scratch, \
                                 edla_counters *c) {                                      \
        const uint64_t t0 = board_stopwatch_ticks();                                      \
        __real_edla_eval_##name(m, op, scratch, c);                                       \
        account(m, op, t0);                                                               \
    }

PROFILED(add)
PROFILED(average_pool_2d)
PROFILED(concatenation)
PROFILED(conv_2d)
PROFILED(conv_2d_sparse)
PROFILED(depthwise_conv_2d)
PROFILED(depthwise_conv_2d_sparse)
PROFILED(dequantize)
PROFILED(dma_decode)
PROFILED(fully_connected)
PROFILED(fully_connected_sparse)
PROFILED(gather)
PROFILED(lut)
PROFILED(max_pool_2d)
PROFILED(maximum)
PROFILED(minimum)
PROFILED(mul)
PROFILED(pad)
PROFILED(pool_mean)
PROFILED(pool_sum)
PROFILED(prelu)
PROFILED(quantize)
PROFILED(reduce_max)
PROFILED(reduce_sum)
PROFILED(resize_bilinear)
PROFILED(resize_nearest_neighbor)
PROFILED(softmax)
PROFILED(squared_difference)
PROFILED(strided_slice)
PROFILED(sub)
PROFILED(transpose)
PROFILED(transpose_conv)

/* Semihosting SYS_WRITE0: a NUL-terminated string to the host console. */
static void host_puts(const char *s) {
    register uint32_t r0 __asm("r0") = 0x04u;
    register const char *r1 __asm("r1") = s;
    __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
}

static char *put_u(char *at, uint64_t v) {
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    *at++ = ' ';
    while (n)
        *at++ = digits[--n];
    return at;
}

static uint64_t instructions(uint64_t ticks) {
    return ticks * 125u / 4u; /* as main.c: 1e9 / BOARD_SYSTICK_HZ */
}

void profile_start(void) {
    for (uint32_t i = 0; i < PROFILE_MAX_OPS; i++)
        op_ticks[i] = 0;
    inside = 0;
}

void profile_report(const edla_model *m, uint64_t total_ticks) {
    char line[80];
    for (uint32_t i = 0; i < m->n_ops && i < PROFILE_MAX_OPS; i++) {
        char *at = line;
        for (const char *p = "edla-profile"; *p;)
            *at++ = *p++;
        at = put_u(at, i);
        at = put_u(at, m->ops[i].opcode);
        at = put_u(at, instructions(op_ticks[i]));
        *at++ = '\n';
        *at = 0;
        host_puts(line);
    }
    char *at = line;
    for (const char *p = "edla-profile gaps"; *p;)
        *at++ = *p++;
    at = put_u(at, instructions(total_ticks - inside));
    *at++ = '\n';
    *at = 0;
    host_puts(line);
}

#endif /* EDLA_PROFILE */
