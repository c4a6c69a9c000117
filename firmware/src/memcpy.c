/*
 * memcpy.c - memcpy for the MVE build: 16 bytes per load/store pair, the tail
 * predicated (newlib-nano's copies words, ~0.5 instructions per byte). INVOKE
 * copies every decoded weight stream from the decode cache, and the core
 * copies inputs, DMA transfers and concatenations with it. The scalar build
 * (MVE=0) keeps newlib's.
 */
#if defined(EDLA_USE_MVE) && defined(__ARM_FEATURE_MVE)
#include <arm_mve.h>
#include <stddef.h>
#include <stdint.h>

/* no-tree-loop-distribute-patterns: GCC must not turn this loop into a memcpy call */
__attribute__((optimize("no-tree-loop-distribute-patterns"))) void *memcpy(void *restrict dst,
                                                                          const void *restrict src,
                                                                          size_t n) {
    uint8_t *d = dst;
    const uint8_t *s = src;
    for (size_t blocks = n >> 4; blocks > 0; --blocks) { /* post-incremented addresses */
        vstrbq_u8(d, vldrbq_u8(s));
        d += 16;
        s += 16;
    }
    if (n & 15u) {
        const mve_pred16_t p = vctp8q((uint32_t)(n & 15u));
        vstrbq_p_u8(d, vldrbq_z_u8(s, p), p);
    }
    return dst;
}
#endif
