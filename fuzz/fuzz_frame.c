/*
 * fuzz_frame.c - libFuzzer harness for the firmware's frame decoder
 * (firmware/src/frame.c), compiled for the host.
 *
 * Input: byte 0 picks the decoder's buffer capacity (FRAME_OVERHEAD plus up
 * to 255 bytes, or the firmware's full FRAME_BUF_SIZE), the rest is the byte
 * stream from the wire. The receive buffer is an exactly-sized heap block, so
 * AddressSanitizer sees any write past it. Every frame the decoder accepts
 * must be well-formed (length consistent, payload within the limit, CRC
 * correct), and must come back identical after frame_send -> decode.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edla.h"
#include "frame.h"

typedef struct {
    uint8_t *data;
    size_t len, cap;
} sink;

static void put(void *ctx, uint8_t b) {
    sink *s = ctx;
    if (s->len == s->cap) abort(); /* sized for the worst case: every byte escaped */
    s->data[s->len++] = b;
}

static void check_frame(const frame_decoder *d) {
    const uint32_t n = frame_payload_len(d->buf);
    if (n > d->max_payload || n > FRAME_MAX_PAYLOAD || FRAME_OVERHEAD + n > d->cap) abort();
    if (edla_crc32(0, d->buf, FRAME_HEADER + n) != frame_crc(d->buf)) abort();

    /* round trip: re-send the accepted frame and decode it with a fresh decoder */
    const uint32_t size = FRAME_OVERHEAD + n;
    sink wire = {malloc(2 * size + 2), 0, 2 * size + 2};
    uint8_t *buf2 = malloc(d->cap);
    if (!wire.data || !buf2) abort();
    frame_send(d->buf, size, put, &wire);
    frame_decoder d2;
    frame_decoder_init(&d2, buf2, d->cap);
    int ok = 0;
    for (size_t i = 0; i < wire.len; i++) {
        frame_result r = frame_decode_byte(&d2, wire.data[i]);
        if (r == FRAME_BAD) abort();
        if (r == FRAME_OK) {
            if (i != wire.len - 1 || memcmp(buf2, d->buf, size) != 0) abort();
            ok = 1;
        }
    }
    if (!ok) abort();
    free(buf2);
    free(wire.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const uint32_t cap = data[0] == 0xFF ? FRAME_BUF_SIZE : FRAME_OVERHEAD + data[0];
    uint8_t *buf = malloc(cap);
    if (!buf) abort();
    frame_decoder d;
    frame_decoder_init(&d, buf, cap);
    if (d.max_payload > FRAME_MAX_PAYLOAD || d.max_payload + FRAME_OVERHEAD > cap) abort();
    for (size_t i = 1; i < size; i++) {
        frame_result r = frame_decode_byte(&d, data[i]);
        if (d.len > d.cap) abort();
        if (r == FRAME_OK) check_frame(&d);
    }
    free(buf);
    return 0;
}
