/*
 * host_fast.h - optional host fast paths of the hot loops (x86-64 only).
 *
 * On x86-64 hosts conv_2d.c, depthwise_conv_2d.c and fully_connected.c first
 * offer their work to these functions; each returns 1 when it computed the
 * whole op (bit-exact with the portable loops), 0 to let the portable C path
 * run. The instruction set is chosen at run time (CPU detection), capped by
 * edla_set_isa(). Everything here is compiled out of other targets (the
 * firmware): the core itself keeps no state.
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
#define EDLA_HOST_FAST 1
int edla_fast_conv_2d(const ku_channel_op_data *d, const ku_window *g);
int edla_fast_depthwise_conv_2d(const ku_channel_op_data *d, const ku_window *g,
                                int depth_multiplier);
int edla_fast_fully_connected(const ku_channel_op_data *d, size_t rows, size_t out_c, int depth,
                              int32_t filter_offset);
#else
#define EDLA_HOST_FAST 0
#endif

#endif /* EDLA_HOST_FAST_H */
