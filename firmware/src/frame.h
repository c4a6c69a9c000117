/*
 * frame.h - transport-free codec for the board link (docs/protocol.md).
 *
 * Bytes go in one at a time, complete frames come out; replies go out through
 * a put-byte callback. No hardware includes, so the same file is unit-tested
 * and fuzzed on the host.
 *
 * Unstuffed frame: u8 type, u8 flags, u16 seq, u32 length N, N payload bytes,
 * u32 CRC32 of everything before it. On the wire: 0x7E, HDLC-stuffed frame, 0x7E.
 */
#ifndef FRAME_H
#define FRAME_H

#include <stdint.h>

#define FRAME_FLAG 0x7Eu
#define FRAME_ESC 0x7Du
#define FRAME_HEADER 8u
#define FRAME_OVERHEAD 12u /* header + CRC */
#define FRAME_MAX_PAYLOAD 65536u
#define FRAME_BUF_SIZE (FRAME_OVERHEAD + FRAME_MAX_PAYLOAD)

typedef enum { FRAME_NONE = 0, FRAME_OK = 1, FRAME_BAD = 2 } frame_result;

typedef struct {
    uint8_t *buf;         /* unstuffed bytes of the frame being received */
    uint32_t cap;         /* buf size; payloads above cap - 12 are refused */
    uint32_t len;         /* bytes in buf */
    uint32_t max_payload; /* min(FRAME_MAX_PAYLOAD, cap - FRAME_OVERHEAD) */
    uint8_t state;        /* internal: hunting, in frame, after escape, dropping */
} frame_decoder;

/* cap must be at least FRAME_OVERHEAD. */
void frame_decoder_init(frame_decoder *d, uint8_t *buf, uint32_t cap);

/*
 * Feed one received byte. FRAME_OK: d->buf holds a checked frame (valid until
 * the next call). FRAME_BAD: a frame was dropped (bad length, escape or CRC).
 */
frame_result frame_decode_byte(frame_decoder *d, uint8_t byte);

/* Write header and CRC around a payload already at buf + FRAME_HEADER; returns 12 + n. */
uint32_t frame_build(uint8_t *buf, uint8_t type, uint16_t seq, uint32_t payload_len);

typedef void (*frame_put_fn)(void *ctx, uint8_t byte);

/* Send an unstuffed frame (as made by frame_build) with delimiters and stuffing. */
void frame_send(const uint8_t *frame, uint32_t size, frame_put_fn put, void *ctx);

static inline uint32_t frame_rd32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void frame_wr32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline uint8_t frame_type(const uint8_t *f) { return f[0]; }
static inline uint16_t frame_seq(const uint8_t *f) { return (uint16_t)(f[2] | f[3] << 8); }
static inline uint32_t frame_payload_len(const uint8_t *f) { return frame_rd32(f + 4); }
static inline const uint8_t *frame_payload(const uint8_t *f) { return f + FRAME_HEADER; }
static inline uint32_t frame_crc(const uint8_t *f) {
    return frame_rd32(f + FRAME_HEADER + frame_payload_len(f));
}

#endif
