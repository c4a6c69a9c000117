/*
 * codec.c - the weight-stream coder (codec.h; the format is in edla.h).
 *
 * A binary range coder (LZMA's carry handling) over adaptive probabilities,
 * each the mean of a fast estimate (fixed rate) and a slow one that is a
 * running mean of the bits seen until its rate reaches a limit: the slow one
 * learns a stationary layer at little cost, the fast one follows drift. The
 * encoder tries a few rate pairs per stream and keeps the smallest (ad01's
 * fully connected rows drift, resnet's 3x3 filters do not). The stream header
 * also gives each weight-magnitude tree a geometric prior of the stream's
 * mean: layers split into many chunk streams pay less to learn the shape.
 *
 * Tables: per value a flag "same as the previous value" (per-tensor
 * quantization repeats the multiplier and shift), else a bit length (6-bit
 * tree), a sign and the bits below the leading one, each bit position with its
 * own probability (per table kind):
 * multipliers all share their top bit and often their low zero bits; shifts
 * are tiny; biases are small against 32 bits.
 *
 * Weights: spatial neighbours of conv filters are correlated (resnet's 3x3
 * filters: 0.3-0.6 between taps), so a weight is coded as its residual from
 * floor((2 * left + 2 * up - up_left) / 4), wrapped to int8 (the decoder
 * unwraps, no range growth), under contexts of the neighbours' magnitude.
 * Layers without neighbours (1x1, fully connected) see the plain weight in one
 * context: there is little else to exploit (inner and channel neighbours are
 * uncorrelated on the shared models). The encoder is here too so converter and
 * core can never disagree: both call the same context function.
 */
#include <string.h>

#include "codec.h"
#include "edla.h"

/* the per-bit helpers: inlined, so the decoder registers stay in registers */
#if defined(__GNUC__) || defined(__clang__)
#define HOT static inline __attribute__((always_inline))
#else
#define HOT static inline
#endif

#define P_BITS 16u
#define RATE_FAST_MIN 2u  /* keeps the mixed probability in [1, 2^16 - 2] */
#define RATE_FAST_MAX 8u
#define RATE_SLOW_MAX 12u
#ifndef RATE_CHOICE_LIST
#define RATE_CHOICE_LIST 0x74u, 0xA5u, 0xA6u
#endif
#define RC_TOP (1u << 24)
#define MAG_SPLIT 60 /* |left| + |up| below: class 1, else class 2 */

static void model_init(codec_model *m) {
    codec_prob *p = (codec_prob *)(void *)m;
    for (size_t i = 0; i < sizeof *m / sizeof *p; ++i) {
        p[i].slow = 1u << 31;
        p[i].fast = 1u << 15;
        p[i].n = 0;
    }
}

/* The header's rates byte (fast shift | slow limit << 4), clamped to what keeps
 * every probability inside (0, 1): a corrupt byte still decodes boundedly. */
static codec_rates rates_of(uint32_t byte) {
    codec_rates r = {byte & 15u, (byte >> 4) & 15u};
    r.fast = r.fast < RATE_FAST_MIN ? RATE_FAST_MIN : r.fast > RATE_FAST_MAX ? RATE_FAST_MAX : r.fast;
    r.slow = r.slow < 1u ? 1u : r.slow > RATE_SLOW_MAX ? RATE_SLOW_MAX : r.slow;
    return r;
}

/* Probability of a 0 in 1 / 2^16 units: in [1, 2^16 - 2] (fast stays in
 * [2^f - 1, 2^16 - 2^f + 1], f >= 2), so neither symbol gets an empty range. */
HOT uint32_t prob_get(const codec_prob *p) {
    return ((uint32_t)p->fast + (p->slow >> 16)) >> 1;
}

HOT unsigned bit_length(uint32_t x) {
#if defined(__GNUC__) || defined(__clang__)
    return x ? 32u - (unsigned)__builtin_clz(x) : 0u;
#else
    unsigned n = 0;
    while (x) { x >>= 1; ++n; }
    return n;
#endif
}

HOT void prob_update(codec_prob *p, codec_rates r, unsigned bit) {
    const unsigned len = bit_length((uint32_t)p->n + 1u);
    const unsigned slow = len < r.slow ? len : r.slow; /* 1/2, 1/4, 1/4, 1/8 x4, ...: a running mean */
    if (p->n != UINT16_MAX) p->n++;
    if (bit) {
        p->fast = (uint16_t)(p->fast - (p->fast >> r.fast));
        p->slow -= p->slow >> slow;
    } else {
        p->fast = (uint16_t)(p->fast + ((65536u - p->fast) >> r.fast));
        p->slow += (0xFFFFFFFFu - p->slow) >> slow;
    }
}

/* Starts a magnitude tree (|r| - 1 in 0..127) at a geometric distribution of
 * mean about `mean` (the stream header's prior; 0 leaves it flat), trusted like
 * PRIOR_COUNT bits seen: a chunk of a layer need not learn its shape anew. */
#define PRIOR_COUNT 64u
static void tree_prior(codec_prob *tree, unsigned mean) {
    uint32_t sum[256];
    if (mean == 0) return;
    const uint32_t div = mean + (mean >> 2); /* w[m + 1] = w[m] (1 - 1/div) */
    uint32_t w = 1u << 24;
    for (unsigned m = 0; m < 128; ++m) {
        sum[128 + m] = w;
        w -= w / div;
    }
    for (unsigned node = 127; node >= 1; --node) {
        sum[node] = sum[2 * node] + sum[2 * node + 1]; /* <= 128 * 2^24 */
        uint32_t p0 = sum[node] ? (uint32_t)(((uint64_t)sum[2 * node] << 16) / sum[node]) : 32768u;
        p0 = p0 < 64u ? 64u : p0 > 65472u ? 65472u : p0;
        tree[node].fast = (uint16_t)p0;
        tree[node].slow = p0 << 16;
        tree[node].n = PRIOR_COUNT;
    }
}

/* Table lengths start where quantized models put them, trusted like 2 bits
 * seen: a multiplier from TFLite's QuantizeMultiplier lies in [2^30, 2^31)
 * (bit length 31); shifts are a few bits; biases are mostly 6 to 20 bits. A
 * chunk of a few channels would otherwise spend most of its table bits
 * learning these. */
static unsigned table_length_weight(unsigned kind, unsigned n) {
    if (kind == 1u) return n == 31u ? 64u : 1u;
    if (kind == 2u) return n >= 1u && n <= 4u ? 16u : n <= 6u ? 4u : 1u;
    return n >= 6u && n <= 20u ? 8u : n <= 24u ? 2u : 1u;
}

static void table_prior(codec_model *m) {
    for (unsigned kind = 0; kind < 3; ++kind) {
        uint32_t sum[128];
        for (unsigned n = 0; n < 64; ++n) {
            sum[64 + n] = n <= 32u ? table_length_weight(kind, n) : 0u;
        }
        for (unsigned node = 63; node >= 1; --node) {
            sum[node] = sum[2 * node] + sum[2 * node + 1];
            uint32_t p0 = sum[node] ? (uint32_t)(((uint64_t)sum[2 * node] << 16) / sum[node]) : 32768u;
            p0 = p0 < 2048u ? 2048u : p0 > 63488u ? 63488u : p0;
            m->t_len[kind][node].fast = (uint16_t)p0;
            m->t_len[kind][node].slow = p0 << 16;
            m->t_len[kind][node].n = 2;
        }
    }
}

static void model_prior(codec_model *m, const uint8_t mean[3]) {
    for (unsigned cls = 0; cls < 3; ++cls) {
        tree_prior(m->mag[cls], mean[cls]);
    }
    table_prior(m);
}

/* ---- geometry and contexts (shared by encoder and decoder) ------------------- */

/* Neighbours only when every distance fits the ring; otherwise none. */
static void pos_init(codec_pos *q, uint32_t taps, uint32_t inner, uint32_t kw) {
    memset(q, 0, sizeof *q);
    if (taps >= 1 && inner >= 1 && kw >= 1 && taps % kw == 0 &&
        ((uint64_t)kw + 1u) * inner <= CODEC_RING) {
        q->taps = taps;
        q->inner = inner;
        q->kw = kw;
    }
}

static int8_t ring_back(const codec_pos *q, uint32_t dist) {
    return q->ring[(q->n - dist) & (CODEC_RING - 1u)];
}

/* The neighbour class (0: none) of the next weight; *pred its prediction. */
static unsigned weight_ctx(const codec_pos *q, int *pred) {
    const int has_left = q->tx > 0, has_up = q->t >= q->kw && q->inner != 0;
    if (!has_left && !has_up) {
        *pred = 0;
        return 0;
    }
    const int left = has_left ? ring_back(q, q->inner) : 0;
    const int up = has_up ? ring_back(q, q->kw * q->inner) : 0;
    const int up_left = has_left && has_up ? ring_back(q, (q->kw + 1u) * q->inner) : 0;
    /* floor((2l + 2u - ul) / 4) without shifting a negative: the sum is > -640 */
    *pred = ((2 * left + 2 * up - up_left + 640) >> 2) - 160;
    int mag = (left < 0 ? -left : left) + (up < 0 ? -up : up);
    if (!has_left || !has_up) mag *= 2;
    return mag < MAG_SPLIT ? 1u : 2u;
}

static void pos_push(codec_pos *q, int8_t w) {
    q->ring[q->n & (CODEC_RING - 1u)] = w;
    q->n++;
    if (q->inner != 0 && ++q->g == q->inner) {
        q->g = 0;
        if (++q->tx == q->kw) q->tx = 0;
        if (++q->t == q->taps) {
            q->t = 0;
            q->tx = 0;
        }
    }
}

static unsigned sign_ctx(int pred) {
    return pred > 0 ? 1u : pred < 0 ? 2u : 0u;
}

/* Zeros among the two previous weights of the stream: pruned layers run in zeros. */
static unsigned zero_ctx(const codec_pos *q) {
    return (ring_back(q, 1) == 0) + (ring_back(q, 2) == 0);
}

/* ---- decoder ---------------------------------------------------------------- */

HOT uint32_t rc_in(codec_rc *d) {
    return d->p < d->end ? *d->p++ : 0u; /* past the end: zeros (a corrupt stream stays defined) */
}

static uint32_t read_varint(codec_rc *d) {
    uint32_t v = 0;
    for (unsigned shift = 0; shift < 35u; shift += 7u) {
        const uint32_t b = rc_in(d);
        v |= (b & 0x7Fu) << shift; /* bits past 32 drop: a corrupt header is just a bad geometry */
        if ((b & 0x80u) == 0) break;
    }
    return v;
}

void codec_dec_init(codec_dec *dec, const uint8_t *p, size_t n) {
    codec_rc *d = &dec->rc;
    d->p = p;
    d->end = p + n;
    const uint32_t taps = read_varint(d), inner = read_varint(d), kw = read_varint(d);
    pos_init(&dec->pos, taps, inner, kw);
    d->rates = rates_of(rc_in(d));
    model_init(&dec->m);
    uint8_t mean[3];
    for (unsigned i = 0; i < 3; ++i) {
        mean[i] = (uint8_t)rc_in(d);
    }
    model_prior(&dec->m, mean);
    d->range = 0xFFFFFFFFu;
    d->code = 0;
    for (int i = 0; i < 4; ++i) { /* LZMA's leading 0 byte is not stored */
        d->code = (d->code << 8) | rc_in(d);
    }
}

HOT unsigned dec_bit(codec_rc *d, codec_prob *prob) {
    const uint32_t bound = (d->range >> P_BITS) * prob_get(prob);
    unsigned bit;
    if (d->code < bound) {
        d->range = bound;
        bit = 0;
    } else {
        d->range -= bound;
        d->code -= bound;
        bit = 1;
    }
    prob_update(prob, d->rates, bit);
    while (d->range < RC_TOP) { /* a bit of probability 2^-16 shrinks the range by 16 bits */
        d->range <<= 8;
        d->code = (d->code << 8) | rc_in(d);
    }
    return bit;
}

HOT unsigned dec_tree(codec_rc *d, codec_prob *tree, unsigned bits) {
    unsigned node = 1;
    for (unsigned i = 0; i < bits; ++i) {
        node = (node << 1) | dec_bit(d, &tree[node]);
    }
    return node - (1u << bits);
}

void codec_dec_table(codec_dec *dec, unsigned kind, uint8_t *dst, size_t len) {
    codec_rc rc = dec->rc, *d = &rc;
    codec_model *m = &dec->m;
    uint32_t prev = 0;
    kind = kind < 3u ? kind : 2u;
    for (size_t i = 0; i < len; ++i) {
        uint32_t v = prev;
        if (!dec_bit(d, &m->t_same[kind])) {
            unsigned n = dec_tree(d, m->t_len[kind], 6);
            v = 0;
            if (n != 0) {
                n = n < 32u ? n : 32u; /* a corrupt length stays a defined shift */
                const unsigned negative = dec_bit(d, &m->t_sign[kind]);
                v = 1u << (n - 1u);
                for (unsigned b = n - 1u; b-- > 0;) {
                    v |= (uint32_t)dec_bit(d, &m->t_bit[kind][b]) << b;
                }
                if (negative) v = 0u - v;
            }
        }
        memcpy(dst + 4 * i, &v, 4);
        prev = v;
    }
    dec->rc = rc;
}

int8_t codec_dec_weight(codec_dec *dec) {
    codec_rc rc = dec->rc, *d = &rc;
    codec_model *m = &dec->m;
    int pred;
    const unsigned cls = weight_ctx(&dec->pos, &pred);
    unsigned r = 0;
    if (dec_bit(d, &m->zero[cls][zero_ctx(&dec->pos)])) {
        const unsigned negative = dec_bit(d, &m->sign[sign_ctx(pred)][cls]);
        const unsigned mag = dec_tree(d, m->mag[cls], 7) + 1u;
        r = negative ? 0u - mag : mag;
    }
    const int8_t w = (int8_t)(uint8_t)(r + (unsigned)pred);
    pos_push(&dec->pos, w);
    dec->rc = rc;
    return w;
}

/* ---- encoder (converter side; the mirror of the decoder) -------------------- */

typedef struct {
    uint64_t low;
    uint32_t range;
    uint8_t cache;
    uint64_t cache_size;
    uint8_t *out;
    size_t n, cap, used;
    int started;
    codec_rates rates;
    codec_model m;
    codec_pos pos;
} rc_enc;

static void enc_put(rc_enc *e, uint8_t byte) {
    if (e->n < e->cap) {
        e->out[e->n] = byte;
    }
    e->n++;
    if (byte != 0) e->used = e->n; /* trailing zeros need not be stored: the decoder reads zeros there */
}

static void enc_varint(rc_enc *e, uint32_t v) {
    while (v >= 0x80u) {
        enc_put(e, (uint8_t)(v | 0x80u));
        v >>= 7;
    }
    enc_put(e, (uint8_t)v);
}

static void enc_shift_low(rc_enc *e) {
    if ((uint32_t)e->low < 0xFF000000u || (e->low >> 32) != 0) {
        const uint8_t carry = (uint8_t)(e->low >> 32);
        uint8_t temp = e->cache;
        do {
            if (e->started) {
                enc_put(e, (uint8_t)(temp + carry));
            }
            e->started = 1; /* the first byte is always 0 (the code starts below 2^32): dropped */
            temp = 0xFF;
        } while (--e->cache_size != 0);
        e->cache = (uint8_t)(e->low >> 24);
    }
    e->cache_size++;
    e->low = (e->low & 0x00FFFFFFu) << 8;
}

static void enc_bit(rc_enc *e, codec_prob *prob, unsigned bit) {
    const uint32_t bound = (e->range >> P_BITS) * prob_get(prob);
    if (!bit) {
        e->range = bound;
    } else {
        e->low += bound;
        e->range -= bound;
    }
    prob_update(prob, e->rates, bit);
    while (e->range < RC_TOP) {
        e->range <<= 8;
        enc_shift_low(e);
    }
}

static void enc_tree(rc_enc *e, codec_prob *tree, unsigned bits, unsigned value) {
    unsigned node = 1;
    for (unsigned i = bits; i-- > 0;) {
        const unsigned bit = (value >> i) & 1u;
        enc_bit(e, &tree[node], bit);
        node = (node << 1) | bit;
    }
}

static void enc_table_value(rc_enc *e, unsigned kind, int32_t value, int32_t prev) {
    enc_bit(e, &e->m.t_same[kind], value == prev);
    if (value == prev) return;
    const uint32_t u = value < 0 ? 0u - (uint32_t)value : (uint32_t)value;
    unsigned n = 0;
    while (n < 32u && (u >> n) != 0) ++n;
    enc_tree(e, e->m.t_len[kind], 6, n);
    if (n == 0) return;
    enc_bit(e, &e->m.t_sign[kind], value < 0);
    for (unsigned b = n - 1u; b-- > 0;) {
        enc_bit(e, &e->m.t_bit[kind][b], (u >> b) & 1u);
    }
}

static void enc_weight(rc_enc *e, int8_t w) {
    int pred;
    const unsigned cls = weight_ctx(&e->pos, &pred);
    const int8_t r = (int8_t)(uint8_t)((unsigned)w - (unsigned)pred);
    enc_bit(e, &e->m.zero[cls][zero_ctx(&e->pos)], r != 0);
    if (r != 0) {
        enc_bit(e, &e->m.sign[sign_ctx(pred)][cls], r < 0);
        enc_tree(e, e->m.mag[cls], 7, (unsigned)(r < 0 ? -r : r) - 1u);
    }
    pos_push(&e->pos, w);
}

static size_t encode_with(const int32_t *tables, size_t n_tables, size_t table_len,
                          const int8_t *weights, size_t n, const uint32_t geometry[3], unsigned rates,
                          const uint8_t mean[3], uint8_t *out, size_t cap) {
    rc_enc e;
    memset(&e, 0, sizeof e);
    e.range = 0xFFFFFFFFu;
    e.out = out;
    e.cap = cap;
    pos_init(&e.pos, geometry[0], geometry[1], geometry[2]);
    enc_varint(&e, e.pos.taps); /* the geometry as the decoder will use it */
    enc_varint(&e, e.pos.inner);
    enc_varint(&e, e.pos.kw);
    enc_put(&e, (uint8_t)rates);
    e.rates = rates_of(rates);
    e.cache_size = 1;
    model_init(&e.m);
    for (unsigned i = 0; i < 3; ++i) {
        enc_put(&e, mean[i]);
    }
    model_prior(&e.m, mean);
    for (size_t t = 0; t < n_tables; ++t) {
        const unsigned kind = (unsigned)(t + 3u - n_tables); /* the last n of bias, mult, shift */
        for (size_t i = 0; i < table_len; ++i) {
            enc_table_value(&e, kind, tables[t * table_len + i], i ? tables[t * table_len + i - 1] : 0);
        }
    }
    for (size_t i = 0; i < n; ++i) {
        enc_weight(&e, weights[i]);
    }
    /* Flush the value in [low, low + range) with the most trailing zero bits:
     * range >= 2^24 here, so low rounded up to a multiple of 2^24 still lies in it. */
    e.low = (e.low + 0xFFFFFFu) & ~(uint64_t)0xFFFFFFu;
    for (int i = 0; i < 5; ++i) {
        enc_shift_low(&e);
    }
    return e.used;
}

/* The priors: per class the rounded mean of |r| - 1 over the non-zero
 * residuals (1..255), 0 for a class no weight falls in. */
static void magnitude_means(const int8_t *weights, size_t n, const uint32_t geometry[3], uint8_t mean[3]) {
    codec_pos q;
    uint64_t sum[3] = {0, 0, 0}, count[3] = {0, 0, 0};
    pos_init(&q, geometry[0], geometry[1], geometry[2]);
    for (size_t i = 0; i < n; ++i) {
        int pred;
        const unsigned cls = weight_ctx(&q, &pred);
        const int8_t r = (int8_t)(uint8_t)((unsigned)weights[i] - (unsigned)pred);
        if (r != 0) {
            sum[cls] += (unsigned)(r < 0 ? -r : r) - 1u;
            count[cls]++;
        }
        pos_push(&q, weights[i]);
    }
    for (unsigned c = 0; c < 3; ++c) {
        const uint64_t m = count[c] ? (2u * sum[c] + count[c]) / (2u * count[c]) : 0u;
        mean[c] = (uint8_t)(count[c] == 0 ? 0u : m < 1u ? 1u : m > 255u ? 255u : m);
    }
}

/* Rate pairs (fast shift | slow limit << 4) the encoder tries, keeping the
 * smallest stream: stationary layers want slow learning, drifting ones fast. */
static const uint8_t RATE_CHOICES[] = {RATE_CHOICE_LIST};

size_t edla_encode_stream(const int32_t *tables, size_t n_tables, size_t table_len,
                          const int8_t *weights, size_t n, uint32_t taps, uint32_t inner,
                          uint32_t kw, uint8_t *out, size_t cap) {
    const uint32_t geometry[3] = {taps, inner, kw};
    size_t best = SIZE_MAX;
    unsigned best_rates = RATE_CHOICES[0];
    uint8_t mean[3];
    if (n_tables > 3) return 0;
    magnitude_means(weights, n, geometry, mean);
    for (size_t i = 0; i < sizeof RATE_CHOICES; ++i) {
        const size_t size = encode_with(tables, n_tables, table_len, weights, n, geometry,
                                        RATE_CHOICES[i], mean, out, 0);
        if (size < best) {
            best = size;
            best_rates = RATE_CHOICES[i];
        }
    }
    const size_t size = encode_with(tables, n_tables, table_len, weights, n, geometry, best_rates, mean,
                                    out, cap);
    return size <= cap ? size : 0;
}

/* The mirror of edla_encode_stream, for tests and tools (the core decodes
 * through codec_dec_* straight into the layouts of sparse.c). */
void edla_decode_stream(const uint8_t *stream, size_t size, int32_t *tables, size_t n_tables,
                        size_t table_len, int8_t *weights, size_t n) {
    codec_dec d;
    codec_dec_init(&d, stream, size);
    for (size_t t = 0; t < n_tables && n_tables <= 3; ++t) {
        codec_dec_table(&d, (unsigned)(t + 3u - n_tables), (uint8_t *)(void *)(tables + t * table_len),
                        table_len);
    }
    for (size_t i = 0; i < n; ++i) {
        weights[i] = codec_dec_weight(&d);
    }
}
