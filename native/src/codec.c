/*
 * codec.c - the weight-stream coder (codec.h): an adaptive binary range coder
 * (LZMA's, 11-bit probabilities); per int32 table value (delta from the
 * previous one, zigzagged) four bytes through one bit-tree per byte lane; per
 * weight a zero flag in the context of the two previous weights, then the
 * non-zero byte through a bit-tree. The encoder is here too so that converter
 * and core can never disagree.
 */
#include <string.h>

#include "codec.h"
#include "edla.h"

#define RC_BITS 11u
#define RC_ONE (1u << RC_BITS)
#define RC_MOVE 5u
#define RC_TOP (1u << 24)

typedef codec_model rc_model;

static void rc_model_init(rc_model *m) {
    uint16_t *p = &m->lane[0][0];
    for (size_t i = 0; i < sizeof *m / sizeof *p; ++i) {
        p[i] = RC_ONE / 2u;
    }
}

/* ---- decoder ---------------------------------------------------------------- */

typedef codec_dec rc_dec;

static uint32_t rc_in(rc_dec *d) {
    return d->p < d->end ? *d->p++ : 0u; /* past the end: zeros (a corrupt stream stays defined) */
}

static void rc_dec_init(rc_dec *d, const uint8_t *p, size_t n) {
    d->p = p;
    d->end = p + n;
    d->range = 0xFFFFFFFFu;
    d->code = 0;
    for (int i = 0; i < 5; ++i) {
        d->code = (d->code << 8) | rc_in(d);
    }
}

static unsigned rc_dec_bit(rc_dec *d, uint16_t *prob) {
    const uint32_t bound = (d->range >> RC_BITS) * *prob;
    unsigned bit;
    if (d->code < bound) {
        d->range = bound;
        *prob = (uint16_t)(*prob + ((RC_ONE - *prob) >> RC_MOVE));
        bit = 0;
    } else {
        d->range -= bound;
        d->code -= bound;
        *prob = (uint16_t)(*prob - (*prob >> RC_MOVE));
        bit = 1;
    }
    if (d->range < RC_TOP) {
        d->range <<= 8;
        d->code = (d->code << 8) | rc_in(d);
    }
    return bit;
}

static unsigned rc_dec_byte(rc_dec *d, uint16_t *tree) {
    unsigned ctx = 1;
    while (ctx < 256u) {
        ctx = (ctx << 1) | rc_dec_bit(d, &tree[ctx]);
    }
    return ctx - 256u;
}

void codec_dec_init(codec_dec *d, const uint8_t *p, size_t n) {
    rc_dec_init(d, p, n);
    rc_model_init(&d->m);
    d->history = 0;
}

/* Each table starts from fresh byte-lane statistics. */
void codec_dec_table(codec_dec *d, uint8_t *dst, size_t len) {
    rc_model *m = &d->m;
    uint32_t prev = 0;
    for (size_t i = 0; i < sizeof m->lane / sizeof m->lane[0][0]; ++i) {
        (&m->lane[0][0])[i] = RC_ONE / 2u;
    }
    for (size_t i = 0; i < len; ++i) {
        uint32_t z = 0;
        for (unsigned b = 0; b < 4; ++b) {
            z |= (uint32_t)rc_dec_byte(d, m->lane[b]) << (8 * b);
        }
        prev += (z >> 1) ^ (0u - (z & 1u)); /* un-zigzag the delta */
        memcpy(dst + 4 * i, &prev, 4);
    }
}

int8_t codec_dec_weight(codec_dec *d) {
    const unsigned ctx = (d->history & 1u) + ((d->history >> 1) & 1u);
    const unsigned zero = rc_dec_bit(d, &d->m.zero[ctx]);
    d->history = ((d->history << 1) | zero) & 3u;
    return zero ? 0 : (int8_t)(uint8_t)rc_dec_byte(d, d->m.value);
}

/* ---- encoder (converter side; the mirror of the decoder) -------------------- */

typedef struct {
    uint64_t low;
    uint32_t range;
    uint8_t cache;
    uint64_t cache_size;
    uint8_t *out;
    size_t n, cap;
} rc_enc;

static void rc_put(rc_enc *e, uint8_t byte) {
    if (e->n < e->cap) {
        e->out[e->n] = byte;
    }
    e->n++;
}

static void rc_shift_low(rc_enc *e) {
    if ((uint32_t)e->low < 0xFF000000u || (e->low >> 32) != 0) {
        const uint8_t carry = (uint8_t)(e->low >> 32);
        uint8_t temp = e->cache;
        do {
            rc_put(e, (uint8_t)(temp + carry));
            temp = 0xFF;
        } while (--e->cache_size != 0);
        e->cache = (uint8_t)(e->low >> 24);
    }
    e->cache_size++;
    e->low = (e->low & 0x00FFFFFFu) << 8;
}

static void rc_enc_bit(rc_enc *e, uint16_t *prob, unsigned bit) {
    const uint32_t bound = (e->range >> RC_BITS) * *prob;
    if (!bit) {
        e->range = bound;
        *prob = (uint16_t)(*prob + ((RC_ONE - *prob) >> RC_MOVE));
    } else {
        e->low += bound;
        e->range -= bound;
        *prob = (uint16_t)(*prob - (*prob >> RC_MOVE));
    }
    while (e->range < RC_TOP) {
        e->range <<= 8;
        rc_shift_low(e);
    }
}

static void rc_enc_byte(rc_enc *e, uint16_t *tree, unsigned byte) {
    unsigned ctx = 1;
    for (int i = 7; i >= 0; --i) {
        const unsigned bit = (byte >> i) & 1u;
        rc_enc_bit(e, &tree[ctx], bit);
        ctx = (ctx << 1) | bit;
    }
}

size_t edla_encode_stream(const int32_t *tables, size_t n_tables, size_t table_len,
                          const int8_t *weights, size_t n, uint8_t *out, size_t cap) {
    rc_model m;
    rc_enc e = {0, 0xFFFFFFFFu, 0, 1, out, 0, cap};
    for (size_t t = 0; t < n_tables; ++t) {
        uint32_t prev = 0;
        rc_model_init(&m);
        for (size_t i = 0; i < table_len; ++i) {
            const uint32_t v = (uint32_t)tables[t * table_len + i], delta = v - prev;
            const uint32_t z = (delta << 1) ^ (0u - (delta >> 31));
            prev = v;
            for (unsigned b = 0; b < 4; ++b) {
                rc_enc_byte(&e, m.lane[b], (z >> (8 * b)) & 0xFFu);
            }
        }
    }
    rc_model_init(&m);
    unsigned history = 0;
    for (size_t i = 0; i < n; ++i) {
        const unsigned ctx = (history & 1u) + ((history >> 1) & 1u);
        const unsigned zero = weights[i] == 0;
        rc_enc_bit(&e, &m.zero[ctx], zero);
        history = ((history << 1) | zero) & 3u;
        if (!zero) {
            rc_enc_byte(&e, m.value, (uint8_t)weights[i]);
        }
    }
    for (int i = 0; i < 5; ++i) {
        rc_shift_low(&e);
    }
    return e.n <= cap ? e.n : 0;
}

