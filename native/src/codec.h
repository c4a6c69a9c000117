/*
 * codec.h - the weight-stream coder of DMA_DECODE (codec.c): a range-coded
 * stream of int32 tables then int8 weights. The encoder
 * (edla_encode_stream, edla.h) and this decoder share one model, so the
 * converter and the core can never disagree.
 */
#ifndef EDLA_CODEC_H
#define EDLA_CODEC_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint16_t lane[4][256]; /* table bytes */
    uint16_t zero[3];      /* zero flag, context: zeros among the two previous weights */
    uint16_t value[256];   /* non-zero weight byte */
} codec_model;

typedef struct {
    const uint8_t *p, *end;
    uint32_t range, code;
    codec_model m;
    unsigned history;
} codec_dec;

/* Starts decoding the n bytes at p (reads never pass p + n: a short or
 * corrupt stream decodes to some defined values). */
void codec_dec_init(codec_dec *d, const uint8_t *p, size_t n);
/* The next table: len int32 values, little-endian, written to dst. */
void codec_dec_table(codec_dec *d, uint8_t *dst, size_t len);
/* The next weight. */
int8_t codec_dec_weight(codec_dec *d);

#endif /* EDLA_CODEC_H */
