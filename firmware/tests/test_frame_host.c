/*
 * test_frame_host.c - host unit tests and a small fuzz loop for src/frame.c.
 * Built by `make host-test` with the host compiler under ASan/UBSan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edla.h"
#include "frame.h"

static int passed, failed;
#define CHECK(cond)                                                            \
    do {                                                                       \
        if (cond) {                                                            \
            passed++;                                                          \
        } else {                                                               \
            failed++;                                                          \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
        }                                                                      \
    } while (0)

/* ---- helpers ------------------------------------------------------------ */

typedef struct {
    uint8_t *data;
    size_t len, cap;
} bytes;

static void put(void *ctx, uint8_t b) {
    bytes *s = ctx;
    if (s->len == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->data = realloc(s->data, s->cap);
    }
    s->data[s->len++] = b;
}
static void put_all(bytes *s, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) put(s, p[i]);
}

static uint8_t frame_buf[FRAME_BUF_SIZE];

/* Append the wire form of a frame with the given payload to s. */
static void encode(bytes *s, uint8_t type, uint16_t seq, const uint8_t *payload, uint32_t n) {
    if (n) memcpy(frame_buf + FRAME_HEADER, payload, n);
    uint32_t size = frame_build(frame_buf, type, seq, n);
    frame_send(frame_buf, size, put, s);
}

typedef struct {
    int ok, bad;
    uint8_t type;
    uint16_t seq;
    uint32_t len;
    uint8_t *payload; /* copy of the last good payload */
} results;

static uint8_t rx_buf[FRAME_BUF_SIZE];

static void feed(frame_decoder *d, const uint8_t *p, size_t n, results *r) {
    for (size_t i = 0; i < n; i++) {
        frame_result res = frame_decode_byte(d, p[i]);
        if (res == FRAME_OK) {
            r->ok++;
            r->type = frame_type(d->buf);
            r->seq = frame_seq(d->buf);
            r->len = frame_payload_len(d->buf);
            free(r->payload);
            r->payload = malloc(r->len + 1);
            if (r->len) memcpy(r->payload, frame_payload(d->buf), r->len);
        } else if (res == FRAME_BAD) {
            r->bad++;
        }
    }
}

static results decode_all(const uint8_t *p, size_t n) {
    frame_decoder d;
    results r = {0};
    frame_decoder_init(&d, rx_buf, sizeof rx_buf);
    feed(&d, p, n, &r);
    return r;
}

static uint32_t rng = 12345u;
static uint32_t rnd(void) { /* xorshift32: deterministic, no libc rand state */
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static uint8_t payload[FRAME_MAX_PAYLOAD + 4096];

/* ---- tests -------------------------------------------------------------- */

static void test_crc_known_answer(void) {
    CHECK(edla_crc32(0, "123456789", 9) == 0xCBF43926u);
    CHECK(edla_crc32(edla_crc32(0, "1234", 4), "56789", 5) == 0xCBF43926u);
}

static void test_round_trip(void) {
    static const uint32_t sizes[] = {0, 1, 2, 7, 100, 4096, FRAME_MAX_PAYLOAD};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        uint32_t n = sizes[k];
        for (uint32_t i = 0; i < n; i++) payload[i] = (uint8_t)(i % 3 == 0 ? 0x7E : i % 3 == 1 ? 0x7D : rnd());
        bytes s = {0};
        encode(&s, 0x20, (uint16_t)(1000 + k), payload, n);
        /* Only the two delimiters may be 0x7E on the wire. */
        size_t flags = 0;
        for (size_t i = 0; i < s.len; i++) flags += s.data[i] == FRAME_FLAG;
        CHECK(flags == 2 && s.data[0] == FRAME_FLAG && s.data[s.len - 1] == FRAME_FLAG);
        results r = decode_all(s.data, s.len);
        CHECK(r.ok == 1 && r.bad == 0);
        CHECK(r.type == 0x20 && r.seq == 1000 + k && r.len == n);
        CHECK(r.payload && memcmp(r.payload, payload, n) == 0);
        free(r.payload);
        free(s.data);
    }
}

/* Cut a frame after every byte, then send a good frame: the decoder must drop
 * the fragment (never accept it) and resynchronise on the next one. */
static void test_split_every_boundary(void) {
    uint8_t p[40];
    for (size_t i = 0; i < sizeof p; i++) p[i] = (uint8_t)(0x7C + i % 4); /* 7C 7D 7E 7F */
    bytes frag = {0}, good = {0};
    encode(&frag, 0x11, 0x7E7D, p, sizeof p);
    encode(&good, 0x02, 42, NULL, 0);
    int all_ok = 1;
    for (size_t k = 0; k <= frag.len; k++) {
        frame_decoder d;
        results r = {0};
        frame_decoder_init(&d, rx_buf, sizeof rx_buf);
        feed(&d, frag.data, k, &r);
        int fragment_ok = r.ok;
        /* The good frame's opening flag ends the fragment. */
        feed(&d, good.data, good.len, &r);
        /* Missing only its closing flag, the first frame is still whole:
         * the next frame's opening flag closes it. */
        int whole = k + 1 >= frag.len;
        if (r.ok != 1 + whole || (k < frag.len && fragment_ok) || r.type != 0x02 || r.seq != 42) all_ok = 0;
        /* Every other fragment holding data is counted once as bad. */
        if (k > 1 && !whole && r.bad != 1) all_ok = 0;
        free(r.payload);
    }
    CHECK(all_ok);

    /* Two frames fed in two pieces at every split point give the same frames. */
    bytes two = {0};
    put_all(&two, frag.data, frag.len);
    put_all(&two, good.data, good.len);
    all_ok = 1;
    for (size_t k = 0; k <= two.len; k++) {
        frame_decoder d;
        results r = {0};
        frame_decoder_init(&d, rx_buf, sizeof rx_buf);
        feed(&d, two.data, k, &r);
        feed(&d, two.data + k, two.len - k, &r);
        if (r.ok != 2 || r.bad != 0 || r.seq != 42) all_ok = 0;
        free(r.payload);
    }
    CHECK(all_ok);
    free(frag.data);
    free(good.data);
    free(two.data);
}

static void test_garbage_between_frames(void) {
    bytes s = {0};
    for (int i = 0; i < 50; i++) put(&s, (uint8_t)(rnd() | 1)); /* noise before any flag */
    uint8_t p[5] = {1, 2, 3, 4, 5};
    for (int f = 0; f < 10; f++) {
        encode(&s, 0x31, (uint16_t)f, p, sizeof p);
        int g = (int)(rnd() % 30);
        for (int i = 0; i < g; i++) {
            uint8_t b = (uint8_t)rnd();
            put(&s, b == FRAME_FLAG ? 0x00 : b);
        }
        if (f % 3 == 0) put(&s, FRAME_FLAG); /* stray delimiters: empty frames or noise frames */
    }
    results r = decode_all(s.data, s.len);
    CHECK(r.ok == 10 && r.seq == 9);
    CHECK(r.bad <= 10); /* each run of noise is at most one dropped frame */
    free(r.payload);
    free(s.data);

    /* Empty frames 7E 7E are ignored, not counted. */
    uint8_t empties[] = {0x7E, 0x7E, 0x7E, 0x7E};
    r = decode_all(empties, sizeof empties);
    CHECK(r.ok == 0 && r.bad == 0);
}

static void test_oversized_length(void) {
    /* A header announcing MAX_PAYLOAD + 1 is dropped as soon as it is read. */
    uint8_t hdr[FRAME_HEADER] = {0x11, 0, 1, 0};
    frame_wr32(hdr + 4, FRAME_MAX_PAYLOAD + 1);
    frame_decoder d;
    results r = {0};
    frame_decoder_init(&d, rx_buf, sizeof rx_buf);
    uint8_t flag = FRAME_FLAG;
    feed(&d, &flag, 1, &r);
    feed(&d, hdr, sizeof hdr, &r);
    for (int i = 0; i < 100000; i++) {
        uint8_t b = (uint8_t)(rnd() & 0x3F); /* never a flag or escape */
        feed(&d, &b, 1, &r);
    }
    CHECK(d.len <= FRAME_HEADER); /* nothing stored past the header */
    bytes good = {0};
    encode(&good, 0x01, 7, NULL, 0);
    feed(&d, good.data, good.len, &r);
    CHECK(r.ok == 1 && r.bad == 1 && r.seq == 7);
    free(r.payload);

    /* A payload longer than MAX_PAYLOAD with a correct CRC is dropped too. */
    static uint8_t big[FRAME_BUF_SIZE + 64];
    uint32_t n = FRAME_MAX_PAYLOAD + 1;
    memset(big, 0x55, sizeof big);
    big[0] = 0x11;
    big[1] = 0;
    big[2] = big[3] = 0;
    frame_wr32(big + 4, n);
    frame_wr32(big + FRAME_HEADER + n, edla_crc32(0, big, FRAME_HEADER + n));
    bytes s = {0};
    frame_send(big, FRAME_OVERHEAD + n, put, &s);
    r = decode_all(s.data, s.len);
    CHECK(r.ok == 0 && r.bad == 1);
    free(s.data);

    /* A length that lies (shorter than the bytes sent) is dropped. */
    big[0] = 0x11;
    frame_wr32(big + 4, 3);
    frame_wr32(big + FRAME_HEADER + 3, edla_crc32(0, big, FRAME_HEADER + 3));
    s = (bytes){0};
    frame_send(big, FRAME_OVERHEAD + 10, put, &s);
    r = decode_all(s.data, s.len);
    CHECK(r.ok == 0 && r.bad == 1);
    free(s.data);

    /* A decoder with a small buffer limits payloads to what fits. */
    uint8_t small[64];
    frame_decoder_init(&d, small, sizeof small);
    CHECK(d.max_payload == sizeof small - FRAME_OVERHEAD);
    r = (results){0};
    s = (bytes){0};
    encode(&s, 0x20, 1, payload, 52);
    encode(&s, 0x20, 2, payload, 53);
    encode(&s, 0x20, 3, payload, 1000);
    encode(&s, 0x20, 4, payload, 0);
    feed(&d, s.data, s.len, &r);
    CHECK(r.ok == 2 && r.bad == 2 && r.seq == 4);
    free(r.payload);
    free(s.data);
    free(good.data);
}

static void test_escapes_in_header_and_crc(void) {
    /* seq 0x7E7D and length 0x7D7E put both special bytes into the header. */
    uint32_t n = 0x7D7E;
    memset(payload, 0x41, n);
    bytes s = {0};
    encode(&s, 0x7E, 0x7E7D, payload, n);
    results r = decode_all(s.data, s.len);
    CHECK(r.ok == 1 && r.bad == 0 && r.type == 0x7E && r.seq == 0x7E7D && r.len == n);
    free(r.payload);
    free(s.data);

    /* Search payloads until the CRC holds a 0x7E and a 0x7D byte. */
    int found = 0;
    uint8_t p[4];
    for (uint32_t i = 0; i < 1000000 && !found; i++) {
        frame_wr32(p, i);
        memcpy(frame_buf + FRAME_HEADER, p, 4);
        frame_build(frame_buf, 0x20, 1, 4);
        int has7e = 0, has7d = 0;
        for (int b = 0; b < 4; b++) {
            has7e |= frame_buf[12 + b] == 0x7E;
            has7d |= frame_buf[12 + b] == 0x7D;
        }
        if (has7e && has7d) found = 1;
    }
    CHECK(found);
    s = (bytes){0};
    frame_send(frame_buf, 16, put, &s);
    CHECK(s.len >= 20); /* two CRC bytes were escaped */
    r = decode_all(s.data, s.len);
    CHECK(r.ok == 1 && r.len == 4 && memcmp(r.payload, p, 4) == 0);
    free(r.payload);
    free(s.data);
}

static void test_crc_mismatch_dropped(void) {
    uint8_t p[32];
    for (size_t i = 0; i < sizeof p; i++) p[i] = (uint8_t)(i + 1);
    bytes s = {0};
    encode(&s, 0x20, 9, p, sizeof p);
    int all_dropped = 1;
    /* Flip a low bit of every non-delimiter byte that stays a plain byte. */
    for (size_t i = 1; i + 1 < s.len; i++) {
        uint8_t orig = s.data[i];
        uint8_t b = orig ^ 0x01;
        if (orig == FRAME_ESC || b == FRAME_ESC || b == FRAME_FLAG || (i > 0 && s.data[i - 1] == FRAME_ESC))
            continue;
        s.data[i] = b;
        results r = decode_all(s.data, s.len);
        if (r.ok != 0 || r.bad != 1) all_dropped = 0;
        free(r.payload);
        s.data[i] = orig;
    }
    CHECK(all_dropped);
    results r = decode_all(s.data, s.len);
    CHECK(r.ok == 1);
    free(r.payload);
    free(s.data);
}

static void test_bad_escapes_and_short(void) {
    uint8_t bad_esc[] = {0x7E, 0x01, 0x00, 0x01, 0x00, 0x7D, 0x41, 0, 0, 0, 0, 0, 0, 0x7E};
    results r = decode_all(bad_esc, sizeof bad_esc);
    CHECK(r.ok == 0 && r.bad == 1);
    uint8_t dangling[] = {0x7E, 0x01, 0x7D, 0x7E};
    r = decode_all(dangling, sizeof dangling);
    CHECK(r.ok == 0 && r.bad == 1);
    uint8_t short_frame[] = {0x7E, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7E};
    r = decode_all(short_frame, sizeof short_frame);
    CHECK(r.ok == 0 && r.bad == 1);
}

/* Mutate valid streams at random; the sanitizers catch any out-of-bounds
 * access, and every accepted frame must carry a matching CRC. */
static void test_fuzz(void) {
    int consistent = 1;
    for (int iter = 0; iter < 20000; iter++) {
        bytes s = {0};
        int frames = 1 + (int)(rnd() % 3);
        for (int f = 0; f < frames; f++) {
            uint32_t n = rnd() % 64;
            for (uint32_t i = 0; i < n; i++) payload[i] = (uint8_t)(0x7C + rnd() % 4);
            encode(&s, (uint8_t)rnd(), (uint16_t)rnd(), payload, n);
        }
        int muts = (int)(rnd() % 4);
        for (int m = 0; m < muts; m++) {
            size_t at = rnd() % s.len;
            switch (rnd() % 3) {
            case 0: s.data[at] ^= (uint8_t)(1u << (rnd() % 8)); break;
            case 1: s.data[at] = (uint8_t)(0x7C + rnd() % 4); break;
            default: s.len = at + 1; break; /* truncate */
            }
        }
        frame_decoder d;
        frame_decoder_init(&d, rx_buf, sizeof rx_buf);
        for (size_t i = 0; i < s.len; i++) {
            if (frame_decode_byte(&d, s.data[i]) == FRAME_OK) {
                uint32_t n = frame_payload_len(d.buf);
                if (edla_crc32(0, d.buf, FRAME_HEADER + n) != frame_crc(d.buf)) consistent = 0;
            }
        }
        if (muts == 0) {
            results r = decode_all(s.data, s.len);
            if (r.ok != frames) consistent = 0;
            free(r.payload);
        }
        free(s.data);
    }
    CHECK(consistent);
}

int main(void) {
    test_crc_known_answer();
    test_round_trip();
    test_split_every_boundary();
    test_garbage_between_frames();
    test_oversized_length();
    test_escapes_in_header_and_crc();
    test_crc_mismatch_dropped();
    test_bad_escapes_and_short();
    test_fuzz();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
