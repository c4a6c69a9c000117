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
enum { EDLA_ISA_PORTABLE = 0, EDLA_ISA_AVX2 = 1, EDLA_ISA_AVX512_VNNI = 2 };

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
#endif

#endif /* EDLA_HOST_FAST_H */
