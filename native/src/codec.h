/*
 * codec.h - the weight-stream coder of DMA_DECODE (codec.c; the stream format
 * is in edla.h). The encoder (edla_encode_stream) and this decoder share one
 * model and one context function, so the converter and the core can never
 * disagree.
 */
#ifndef EDLA_CODEC_H
#define EDLA_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define CODEC_RING 1024u /* decoded weights kept for the neighbour contexts */

/* An adaptive probability of a 0 bit: the mean of a fast estimate (fixed
 * rate) and a slow one (rate 1/2, 1/4, ... as it counts bits, down to a limit). */
typedef struct {
    uint32_t slow;  /* scale 2^32 */
    uint16_t fast;  /* scale 2^16 */
    uint16_t n;     /* bits seen (saturating) */
} codec_prob;

typedef struct {
    unsigned fast, slow; /* fast shift, slow shift limit (the stream header's rates) */
} codec_rates;

typedef struct {
    codec_prob t_same[3], t_sign[3], t_len[3][64], t_bit[3][32]; /* tables: bias, multiplier, shift */
    codec_prob zero[3][3], sign[3][3], mag[3][128];   /* weights, by neighbour class */
} codec_model;

/* Where the next weight sits in its kernel: its neighbours' distances back. */
typedef struct {
    uint32_t taps, inner, kw;  /* stream geometry (0 when it has no neighbours) */
    uint32_t g, tx, t;         /* inner index, kernel column, tap of the next weight */
    uint32_t n;                /* weights so far */
    int8_t ring[CODEC_RING];   /* the last CODEC_RING weights */
} codec_pos;

/* The range decoder's registers (copied to locals while decoding a value: the
 * probabilities' uint32 stores would otherwise force reloads of range and code). */
typedef struct {
    const uint8_t *p, *end;
    uint32_t range, code;
    codec_rates rates;
} codec_rc;

typedef struct {
    codec_rc rc;
    codec_model m;
    codec_pos pos;
} codec_dec;

/* Starts decoding the n bytes at p (reads never pass p + n: a short or
 * corrupt stream decodes to some defined values). */
void codec_dec_init(codec_dec *d, const uint8_t *p, size_t n);
/* The next table, kind 0 bias, 1 multiplier, 2 shift: len int32 values,
 * little-endian, written to dst. */
void codec_dec_table(codec_dec *d, unsigned kind, uint8_t *dst, size_t len);
/* The next weight. */
int8_t codec_dec_weight(codec_dec *d);

#endif /* EDLA_CODEC_H */
