/*
 * main.c - the board's command loop (docs/protocol.md, protocol version 2).
 *
 * One request in, one reply out. The reply is built unstuffed in tx_buf and
 * stays there as the duplicate cache: a retried request (same seq, type and
 * frame CRC) gets tx_buf resent without running again.
 */
#include <stdarg.h>
#include <string.h>

#include "board.h"
#include "edla.h"
#include "frame.h"
#include "profile.h"
#include "uart.h"

#define PROTOCOL_VERSION 2u /* 2: edla_counters gained macs_skipped_act */
#define FW_VERSION ((0u << 16) | (1u << 8) | 0u)
#define FW_VERSION_STR "0.1.0"

#define SCRATCH_BYTES (256u * 1024u) /* the NPU's SRAM, reported as scratchpad_capacity */
#define WEIGHT_BUFFER_BYTES (16u * 1024u) /* the MAC array's weight buffer (DEFAULT_NPU's) */
#define SLOT_BYTES (1536u * 1024u)   /* per blob slot; two fit the 4 MiB ISRAM */
#define MAX_OPS 512u                 /* counters array size; 20 B each in the INVOKE reply */
#define RECORDS_BYTES (MAX_OPS * 96u + 4u * MAX_OPS * 32u) /* per slot: its blob's unpacked records */

/* The NPU configuration INFO reports: the converter's default (DEFAULT_NPU in
 * edge_dla/converter/driver.py), since the host refuses a blob built for any
 * other. The board itself only needs the blob's scratchpad_capacity to fit
 * SCRATCH_BYTES; the other fields parameterise the core's cycle model. */
#define NPU_MACS_PER_CYCLE 128u
#define NPU_FLASH_BYTES_PER_CYCLE_Q8 1024u /* 4 bytes/cycle */
#define NPU_EXT_BYTES_PER_CYCLE_Q8 2048u   /* 8 bytes/cycle */
#define NPU_CLOCK_KHZ 500000u
#define NPU_OP_OVERHEAD_CYCLES 64u

enum {
    HELLO = 0x01, INFO = 0x02, LOAD_BEGIN = 0x10, LOAD_CHUNK = 0x11, LOAD_COMMIT = 0x12,
    INVOKE = 0x20, RESET = 0x30, STATS = 0x31, REPLY = 0x80, ERROR = 0xFF
};
enum {
    UNKNOWN_COMMAND = 100, BAD_PAYLOAD, NO_MODEL, TOO_LARGE, BAD_OFFSET, NO_UPLOAD,
    CRC_MISMATCH, CONFIG_MISMATCH
};

static uint8_t scratch[SCRATCH_BYTES] __attribute__((section(".scratch"), aligned(16)));
/* Staged weights (EDLA_LOC_WBUF tensors) live here, never in the scratchpad. */
static uint8_t weight_buffer[WEIGHT_BUFFER_BYTES] __attribute__((section(".scratch"), aligned(16)));
/* External memory for plans that spill: the board's DDR (2 GiB at 0x60000000). */
#define EXT_MEMORY ((uint8_t *)0x60000000u)
#define EXT_BYTES (64u * 1024u * 1024u)
/* The active model's decoded weight streams (edla_decode_cache_fill), right
 * after the spill area: INVOKE copies them instead of running the range
 * decoder each time (a model with more decodes each time). The counters
 * still model the NPU's decoder. */
#define DECODE_CACHE ((uint8_t *)0x64000000u)
#define DECODE_CACHE_BYTES (64u * 1024u * 1024u)
static uint8_t slots[2][SLOT_BYTES] __attribute__((section(".slots"), aligned(16)));
/* The tensor and op records the loader unpacks, per slot: they live as long as its blob. */
static uint8_t records[2][RECORDS_BYTES] __attribute__((section(".records"), aligned(16)));
static uint8_t rx_buf[FRAME_BUF_SIZE] __attribute__((section(".frames"), aligned(16)));
static uint8_t tx_buf[FRAME_BUF_SIZE] __attribute__((section(".frames"), aligned(16)));
static edla_counters counters[MAX_OPS];

static struct {
    int loaded;
    uint8_t slot;              /* slots[slot] holds the active blob, the other one stages */
    edla_model model;
    uint32_t crc, bytes;       /* CRC32 and size of the whole blob */
    uint32_t in_bytes;         /* sum of the input tensors' bytes */
    const uint8_t *cache;      /* DECODE_CACHE once filled for this model, else NULL */
} active;

static struct {
    int open;
    uint32_t total, crc, received; /* received: contiguous bytes from offset 0 */
} upload;

static struct {
    uint32_t frames_ok, frames_bad, invokes, loads_committed, loads_refused, duplicates;
} stats;

static struct {
    int valid;
    uint8_t type;
    uint16_t seq;
    uint32_t crc;  /* the request frame's CRC: a new request reusing seq and type is not a retry */
    uint32_t size; /* unstuffed reply in tx_buf */
} last;

/* ---- reply building ------------------------------------------------------ */
static uint8_t *const reply = tx_buf + FRAME_HEADER;
static uint8_t reply_type;

static uint32_t put32(uint32_t at, uint32_t v) {
    frame_wr32(reply + at, v);
    return at + 4;
}

static uint32_t put_text(uint32_t at, const char *s) {
    while (*s)
        reply[at++] = (uint8_t)*s++;
    return at;
}

static uint32_t put_num(uint32_t at, uint32_t v, unsigned base) {
    char digits[12];
    int n = 0;
    do {
        digits[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (base == 16)
        at = put_text(at, "0x");
    while (n)
        reply[at++] = (uint8_t)digits[--n];
    return at;
}

/* ERROR reply: u32 status, message formatted with %u, %x and %s only. */
static uint32_t fail(uint32_t status, const char *fmt, ...) {
    va_list ap;
    uint32_t at = put32(0, status);
    reply_type = ERROR;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            reply[at++] = (uint8_t)*fmt;
            continue;
        }
        fmt++;
        if (*fmt == 's')
            at = put_text(at, va_arg(ap, const char *));
        else
            at = put_num(at, va_arg(ap, uint32_t), *fmt == 'x' ? 16u : 10u);
    }
    va_end(ap);
    return at;
}

/* ---- commands: each writes its reply payload and returns its length ------- */
static uint32_t do_hello(void) {
    reply[0] = (uint8_t)PROTOCOL_VERSION;
    reply[1] = (uint8_t)(PROTOCOL_VERSION >> 8);
    reply[2] = reply[3] = 0;
    return put_text(4, FW_VERSION_STR);
}

static uint32_t do_info(void) {
    const edla_header *h = active.loaded ? active.model.header : 0;
    const uint32_t fields[] = {
        PROTOCOL_VERSION, FW_VERSION, SCRATCH_BYTES, SLOT_BYTES, FRAME_MAX_PAYLOAD,
        SCRATCH_BYTES, NPU_MACS_PER_CYCLE, NPU_FLASH_BYTES_PER_CYCLE_Q8,
        NPU_EXT_BYTES_PER_CYCLE_Q8, NPU_CLOCK_KHZ, NPU_OP_OVERHEAD_CYCLES,
        (uint32_t)active.loaded, h ? active.crc : 0, h ? active.bytes : 0,
        h ? h->n_inputs : 0, h ? h->n_outputs : 0, WEIGHT_BUFFER_BYTES};
    uint32_t at = 0;
    for (unsigned i = 0; i < sizeof fields / sizeof fields[0]; i++)
        at = put32(at, fields[i]);
    return at;
}

static uint32_t do_stats(void) {
    uint32_t at = put32(0, stats.frames_ok);
    at = put32(at, stats.frames_bad);
    at = put32(at, stats.invokes);
    at = put32(at, stats.loads_committed);
    at = put32(at, stats.loads_refused);
    return put32(at, stats.duplicates);
}

static uint32_t do_load_begin(const uint8_t *p, uint32_t n) {
    if (n != 8)
        return fail(BAD_PAYLOAD, "LOAD_BEGIN takes 8 bytes, got %u", n);
    uint32_t total = frame_rd32(p), crc = frame_rd32(p + 4);
    if (total > SLOT_BYTES) {
        stats.loads_refused++;
        return fail(TOO_LARGE, "blob of %u bytes exceeds the %u-byte model slot", total,
                    SLOT_BYTES);
    }
    if (!(upload.open && upload.total == total && upload.crc == crc)) {
        upload.open = 1; /* a different blob: start over */
        upload.total = total;
        upload.crc = crc;
        upload.received = 0;
    }
    return put32(0, upload.received);
}

static uint32_t do_load_chunk(const uint8_t *p, uint32_t n) {
    if (n < 4)
        return fail(BAD_PAYLOAD, "LOAD_CHUNK needs a 4-byte offset");
    if (!upload.open)
        return fail(NO_UPLOAD, "no upload in progress: send LOAD_BEGIN first");
    uint32_t offset = frame_rd32(p), len = n - 4;
    if (offset != upload.received)
        return fail(BAD_OFFSET, "expected offset %u, got %u", upload.received, offset);
    if (len > upload.total - offset)
        return fail(BAD_PAYLOAD, "chunk of %u bytes at offset %u runs past the blob's %u bytes",
                    len, offset, upload.total);
    memcpy(slots[active.slot ^ 1u] + offset, p + 4, len);
    upload.received += len;
    return put32(0, upload.received);
}

static uint32_t io_bytes(const edla_model *m, uint32_t first, uint32_t count) {
    uint64_t sum = 0; /* 64-bit: up to 65535 tensors of up to the scratchpad size each */
    for (uint32_t i = first; i < first + count; i++)
        sum += m->tensors[m->io[i]].bytes;
    return sum > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)sum;
}

/* Validate the staged blob; only if everything passes does it become active. */
static uint32_t commit(void) {
    const uint8_t *blob = slots[active.slot ^ 1u];
    const edla_header *h = (const edla_header *)blob;
    uint32_t total = upload.total, crc = edla_crc32(0, blob, total);
    edla_model m;
    upload.open = 0; /* these bytes are done with: a refused blob would be refused again */
    if (crc != upload.crc)
        return fail(CRC_MISMATCH, "blob CRC32 is %x, LOAD_BEGIN announced %x", crc, upload.crc);
    if (total >= sizeof *h && h->magic == EDLA_MAGIC && h->npu.scratchpad_capacity > SCRATCH_BYTES)
        return fail(CONFIG_MISMATCH, "blob is built for a %u-byte scratchpad, the board has %u",
                    h->npu.scratchpad_capacity, SCRATCH_BYTES);
    if (total >= sizeof *h && h->magic == EDLA_MAGIC && h->weight_buffer_capacity > WEIGHT_BUFFER_BYTES)
        return fail(CONFIG_MISMATCH, "blob is built for a %u-byte weight buffer, the board has %u",
                    h->weight_buffer_capacity, WEIGHT_BUFFER_BYTES);
    edla_status st = edla_model_load(&m, blob, total, SCRATCH_BYTES, records[active.slot ^ 1u], RECORDS_BYTES);
    if (st == EDLA_ERR_MEMORY) /* a blob valid up to its records' size: the board's limit */
        return fail(TOO_LARGE, "model's tensor and op records need %u bytes, the board has %u",
                    (uint32_t)edla_model_records_bytes(blob, total), RECORDS_BYTES);
    if (st == EDLA_OK)
        st = edla_model_bind_weight_buffer(&m, weight_buffer, WEIGHT_BUFFER_BYTES);
    if (st != EDLA_OK)
        return fail(st, "model refused by the loader: %s", edla_status_name(st));
    if (m.n_ops > MAX_OPS)
        return fail(TOO_LARGE, "model has %u layers, the board runs at most %u", m.n_ops, MAX_OPS);
    if (m.ext_required > EXT_BYTES)
        return fail(TOO_LARGE, "model spills %u bytes, the board has %u of external memory",
                    m.ext_required, EXT_BYTES);
    uint32_t in_bytes = io_bytes(&m, 0, h->n_inputs);
    uint32_t out_bytes = io_bytes(&m, h->n_inputs, h->n_outputs);
    if (in_bytes > FRAME_MAX_PAYLOAD || out_bytes > FRAME_MAX_PAYLOAD - 16u - 20u * m.n_ops)
        return fail(TOO_LARGE, "inputs (%u bytes) or outputs (%u bytes) exceed one frame",
                    in_bytes, out_bytes);
    stats.loads_committed++;
    active.loaded = 1;
    active.slot ^= 1u;
    active.model = m;
    active.crc = crc;
    active.bytes = total;
    active.in_bytes = in_bytes;
    /* Only now, with the old model gone: the cache belongs to the active one. */
    const uint32_t cache_bytes = edla_decode_cache_bytes(&active.model);
    active.cache = 0;
    if (cache_bytes > 0 && cache_bytes <= DECODE_CACHE_BYTES) {
        edla_decode_cache_fill(&active.model, scratch, DECODE_CACHE);
        active.cache = DECODE_CACHE;
    }
    return put32(0, crc);
}

static uint32_t do_load_commit(void) {
    if (!upload.open)
        return fail(NO_UPLOAD, "no upload in progress");
    if (upload.received != upload.total)
        return fail(BAD_OFFSET, "upload incomplete: expected offset %u of %u", upload.received,
                    upload.total);
    uint32_t n = commit();
    if (reply_type == ERROR)
        stats.loads_refused++;
    return n;
}

/* SysTick ticks -> guest instructions. Under -icount shift=0 each instruction
 * is 1 ns of virtual time and SysTick counts at 32 MHz: 31.25 instructions per
 * tick (measured: an 18,000,000-instruction loop reads 576,000 ticks). */
static uint64_t ticks_to_instructions(uint64_t ticks) {
    return ticks * 125u / 4u; /* 1e9 / BOARD_SYSTICK_HZ */
}

static uint32_t do_invoke(const uint8_t *p, uint32_t n) {
    const edla_model *m = &active.model;
    if (!active.loaded)
        return fail(NO_MODEL, "no model committed");
    if (n != active.in_bytes)
        return fail(BAD_PAYLOAD, "inputs are %u bytes, the model takes %u", n, active.in_bytes);
    const uint32_t n_in = m->header->n_inputs, n_out = m->header->n_outputs;
    for (uint32_t i = 0; i < n_in; i++) {
        uint32_t bytes = m->tensors[m->io[i]].bytes;
        memcpy(edla_tensor_data(m, scratch, m->io[i]), p, bytes);
        p += bytes;
    }
    board_stopwatch_start();
#ifdef EDLA_PROFILE
    profile_start();
#endif
    edla_status st = edla_invoke_cached(m, scratch, EXT_MEMORY, active.cache, counters);
    const uint64_t ticks = board_stopwatch_ticks();
    const uint64_t instructions = ticks_to_instructions(ticks);
#ifdef EDLA_PROFILE
    profile_report(m, ticks);
#endif
    if (st != EDLA_OK)
        return fail(st, "invoke failed: %s", edla_status_name(st));
    stats.invokes++;
    uint32_t at = put32(0, n_out);
    at = put32(at, m->n_ops);
    at = put32(at, (uint32_t)instructions);
    at = put32(at, (uint32_t)(instructions >> 32));
    for (uint32_t j = 0; j < n_out; j++) {
        uint32_t idx = m->io[n_in + j], bytes = m->tensors[idx].bytes;
        memcpy(reply + at, edla_tensor_data(m, scratch, idx), bytes);
        at += bytes;
    }
    for (uint32_t i = 0; i < m->n_ops; i++) {
        at = put32(at, counters[i].macs);
        at = put32(at, counters[i].macs_skipped);
        at = put32(at, counters[i].dma_bytes);
        at = put32(at, counters[i].cycles);
        at = put32(at, counters[i].macs_skipped_act);
    }
    return at;
}

static uint32_t handle(uint8_t type, const uint8_t *p, uint32_t n) {
    reply_type = (uint8_t)(type | REPLY);
    switch (type) {
    case LOAD_BEGIN: return do_load_begin(p, n);
    case LOAD_CHUNK: return do_load_chunk(p, n);
    case INVOKE: return do_invoke(p, n);
    case HELLO: case INFO: case LOAD_COMMIT: case RESET: case STATS: break;
    default: return fail(UNKNOWN_COMMAND, "unknown command %x", type);
    }
    if (n != 0)
        return fail(BAD_PAYLOAD, "command %x takes no payload, got %u bytes", type, n);
    switch (type) {
    case HELLO: return do_hello();
    case INFO: return do_info();
    case LOAD_COMMIT: return do_load_commit();
    case RESET: upload.open = 0; return 0;
    default: return do_stats();
    }
}

static void send_reply(uint16_t seq, uint32_t payload_len) {
    last.size = frame_build(tx_buf, reply_type, seq, payload_len);
    frame_send(tx_buf, last.size, uart_put_cb, 0);
}

int main(void) {
    frame_decoder dec;
    uart_init();
    frame_decoder_init(&dec, rx_buf, sizeof rx_buf);
    reply_type = HELLO | REPLY; /* unsolicited: tells the host the board is up */
    send_reply(0, do_hello());

    for (;;) {
        frame_result r = frame_decode_byte(&dec, uart_getc_wait());
        if (r == FRAME_BAD)
            stats.frames_bad++;
        if (r != FRAME_OK)
            continue;
        stats.frames_ok++;
        uint8_t type = frame_type(rx_buf);
        uint16_t seq = frame_seq(rx_buf);
        uint32_t crc = frame_crc(rx_buf);
        if (last.valid && last.seq == seq && last.type == type && last.crc == crc) {
            stats.duplicates++;
            frame_send(tx_buf, last.size, uart_put_cb, 0);
            continue;
        }
        send_reply(seq, handle(type, frame_payload(rx_buf), frame_payload_len(rx_buf)));
        last.valid = 1;
        last.type = type;
        last.seq = seq;
        last.crc = crc;
    }
}
