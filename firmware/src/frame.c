/* frame.c - HDLC-stuffed frame decoder/encoder; see frame.h. */
#include "frame.h"

#include "edla.h" /* edla_crc32: one CRC implementation for blobs and frames */

enum { HUNT, DATA, ESCAPED, DROP };

void frame_decoder_init(frame_decoder *d, uint8_t *buf, uint32_t cap) {
    d->buf = buf;
    d->cap = cap;
    d->len = 0;
    d->max_payload = cap - FRAME_OVERHEAD < FRAME_MAX_PAYLOAD ? cap - FRAME_OVERHEAD
                                                              : FRAME_MAX_PAYLOAD;
    d->state = HUNT; /* bytes before the first flag are line noise, not a frame */
}

static frame_result frame_end(frame_decoder *d, uint8_t prev_state) {
    uint32_t len = d->len;
    d->len = 0;
    d->state = DATA; /* a closing flag also opens the next frame */
    if (prev_state == HUNT)
        return FRAME_NONE;
    if (prev_state == DATA && len == 0)
        return FRAME_NONE; /* 7E 7E: empty frame, ignored */
    if (prev_state != DATA || len < FRAME_OVERHEAD)
        return FRAME_BAD; /* dropped earlier, dangling escape, or too short */
    uint32_t n = frame_payload_len(d->buf);
    if (n > d->max_payload || len != FRAME_OVERHEAD + n)
        return FRAME_BAD;
    if (edla_crc32(0, d->buf, FRAME_HEADER + n) != frame_crc(d->buf))
        return FRAME_BAD;
    return FRAME_OK;
}

frame_result frame_decode_byte(frame_decoder *d, uint8_t byte) {
    if (byte == FRAME_FLAG)
        return frame_end(d, d->state);
    switch (d->state) {
    case HUNT:
    case DROP:
        return FRAME_NONE;
    case DATA:
        if (byte == FRAME_ESC) {
            d->state = ESCAPED;
            return FRAME_NONE;
        }
        break;
    default: /* ESCAPED: only 7D 5E and 7D 5D are valid, as the host's codec agrees */
        if (byte != (FRAME_FLAG ^ 0x20u) && byte != (FRAME_ESC ^ 0x20u)) {
            d->state = DROP;
            return FRAME_NONE;
        }
        byte ^= 0x20u;
        d->state = DATA;
        break;
    }
    if (d->len == d->cap) {
        d->state = DROP; /* longer than any valid frame: stop storing, wait for a flag */
        return FRAME_NONE;
    }
    d->buf[d->len++] = byte;
    /* Refuse an oversized length as soon as it is known, not after 64 KiB of bytes. */
    if (d->len == FRAME_HEADER && frame_payload_len(d->buf) > d->max_payload)
        d->state = DROP;
    return FRAME_NONE;
}

uint32_t frame_build(uint8_t *buf, uint8_t type, uint16_t seq, uint32_t payload_len) {
    buf[0] = type;
    buf[1] = 0;
    buf[2] = (uint8_t)seq;
    buf[3] = (uint8_t)(seq >> 8);
    frame_wr32(buf + 4, payload_len);
    frame_wr32(buf + FRAME_HEADER + payload_len, edla_crc32(0, buf, FRAME_HEADER + payload_len));
    return FRAME_OVERHEAD + payload_len;
}

void frame_send(const uint8_t *frame, uint32_t size, frame_put_fn put, void *ctx) {
    put(ctx, FRAME_FLAG);
    for (uint32_t i = 0; i < size; i++) {
        uint8_t b = frame[i];
        if (b == FRAME_FLAG || b == FRAME_ESC) {
            put(ctx, FRAME_ESC);
            b ^= 0x20u;
        }
        put(ctx, b);
    }
    put(ctx, FRAME_FLAG);
}
