"""The blob format in Python: struct layouts mirroring native/include/edla.h.

Writing lives in converter/blob_writer.py; this module reads a blob's header,
tables and metadata for inspect, the interpreter and the board client. It
checks only what it needs to read safely; the C loader validates everything.
"""
import json
import struct
import zlib
from dataclasses import dataclass

from .errors import BlobError

MAGIC = b"EDLA"
VERSION_MAJOR, VERSION_MINOR = 3, 0  # 3: packed tensor and op records
ALIGN = 16
HEADER = struct.Struct("<4sHHIIIIII6IIHH4I")     # edla_header, 80 bytes
SECTION = struct.Struct("<IIII")                  # edla_section
# The records as the core unpacks them (edla_tensor, edla_op); the blob stores them
# packed (pack_tensor, pack_op). Record tuples below are in these fields' order.
TENSOR = struct.Struct("<BBBB4iIIi")              # edla_tensor, 32 bytes
OP = struct.Struct("<HBB6H2HI18i")                # edla_op, 96 bytes
assert (HEADER.size, SECTION.size, TENSOR.size, OP.size) == (80, 16, 32, 96)

SEC_TENSORS, SEC_OPS, SEC_IO, SEC_CONST, SEC_META, SEC_EXT = 1, 2, 3, 4, 5, 6
DTYPES = {1: "int8", 2: "int32", 3: "float32"}
DTYPE_CODES = {v: k for k, v in DTYPES.items()}
LOC_SCRATCH, LOC_CONST, LOC_EXT, LOC_WBUF = 0, 1, 2, 3
LOCATIONS = ("scratch", "const", "external", "weight_buffer")
NO_TENSOR = 0xFFFF
OP_FLAG_CPU = 1                                   # edla_op.flags: runs on the CPU
OP_FLAG_ACT_SPARSE = 2                            # edla_op.flags: skips zero-point activations
NPU_ACT_SPARSITY = 1                              # edla_header.npu_flags
NPU_FIELDS = ("scratchpad_capacity", "macs_per_cycle", "flash_bytes_per_cycle_q8",
              "ext_bytes_per_cycle_q8", "clock_khz", "op_overhead_cycles")


@dataclass
class Header:
    version: tuple
    total_size: int
    crc32: int
    header_size: int
    scratchpad_required: int
    n_inputs: int
    n_outputs: int
    npu: dict
    n_sections: int
    weight_buffer_required: int = 0   # planned peak of the NPU weight buffer


def crc32(data):
    return zlib.crc32(data) & 0xFFFFFFFF


def read_header(blob):
    """Parse and sanity-check the fixed header (magic, version, size, CRC)."""
    blob = bytes(blob)
    if len(blob) < HEADER.size:
        raise BlobError(f"blob truncated: {len(blob)} bytes is shorter than the {HEADER.size}-byte header",
                        "TRUNCATED")
    f = HEADER.unpack_from(blob)
    if f[0] != MAGIC:
        raise BlobError(f"not an edge_dla blob: magic {f[0]!r} != {MAGIC!r}", "MAGIC")
    if f[1] != VERSION_MAJOR:
        raise BlobError(f"blob format version {f[1]}.{f[2]} is not supported (this edge_dla reads "
                        f"{VERSION_MAJOR}.x; convert the model again)", "VERSION")
    npu = {**dict(zip(NPU_FIELDS, f[9:15])), "sparsity_block": max(1, f[16]),
           "activation_sparsity": bool(f[17] & NPU_ACT_SPARSITY), "weight_buffer_capacity": f[18]}
    header = Header((f[1], f[2]), f[3], f[4], f[5], f[6], f[7], f[8], npu, f[15], f[19])
    if header.total_size > len(blob) or header.total_size < HEADER.size:
        raise BlobError(f"blob truncated: header says {header.total_size} bytes, got {len(blob)}", "TRUNCATED")
    if crc32(blob[16:header.total_size]) != header.crc32:
        raise BlobError("blob corrupted: CRC32 mismatch", "CRC")
    return header


def read_sections(blob, header):
    sections = {}
    for i in range(header.n_sections):
        pos = header.header_size + i * SECTION.size
        if pos + SECTION.size > header.total_size:
            raise BlobError(f"section table entry {i} lies past the end of the blob", "SECTION")
        kind, offset, size, count = SECTION.unpack_from(blob, pos)
        if offset + size > header.total_size:
            raise BlobError(f"section {kind} [{offset}, +{size}) lies past the end of the blob", "SECTION")
        sections[kind] = (offset, size, count)
    return sections


# ---- packed records (edla.h): varints (unsigned LEB128) and zigzag-coded signed values ----

def _varint(value):
    if not 0 <= value <= 0xFFFFFFFF:
        raise ValueError(f"{value} does not fit a packed 32-bit field")
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    return bytes(out + bytes([value]))


def _zigzag(value):
    if not -(1 << 31) <= value < 1 << 31:
        raise ValueError(f"{value} does not fit a packed int32 field")
    return _varint(((value << 1) ^ (value >> 31)) & 0xFFFFFFFF)


def pack_tensor(record):
    """A tensor record tuple (TENSOR's fields) -> its packed bytes (bytes is implied)."""
    dtype, loc, rank, _, *rest = record
    dims, offset, zero_point = rest[:4], rest[4], rest[6]
    return bytes([dtype, loc, rank]) + b"".join(_varint(d) for d in dims[:rank]) + _varint(offset) + \
        _zigzag(zero_point)


def pack_op(record):
    """An op record tuple (OP's fields) -> its packed bytes (trailing zero params dropped)."""
    opcode, n_in, n_out = record[:3]
    ins, outs, flags, params = record[3:9], record[9:11], record[11], list(record[12:])
    while params and params[-1] == 0:
        params.pop()
    operand = lambda t: _varint(0 if t == NO_TENSOR else t + 1)  # noqa: E731
    return _varint(opcode) + bytes([n_in, n_out]) + b"".join(operand(t) for t in ins[:n_in] + outs[:n_out]) + \
        _varint(flags) + bytes([len(params)]) + b"".join(_zigzag(p) for p in params)


class _Packed:
    """Reads a packed record section; a malformed one is a BlobError naming where."""

    def __init__(self, data, what):
        self.data, self.pos, self.what = data, 0, what

    def u8(self):
        if self.pos >= len(self.data):
            raise BlobError(f"{self.what} record runs past its section", "SECTION")
        self.pos += 1
        return self.data[self.pos - 1]

    def varint(self):
        value = 0
        for shift in range(0, 35, 7):
            b = self.u8()
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                if value > 0xFFFFFFFF:
                    break
                return value
        raise BlobError(f"{self.what} record holds a varint longer than 32 bits", "SECTION")

    def zigzag(self):
        u = self.varint()
        return (u >> 1) ^ -(u & 1)

    def operand(self):
        v = self.varint()
        return NO_TENSOR if v == 0 else v - 1


def unpack_records(blob, sections=None):
    """(tensor record tuples, op record tuples) in TENSOR's and OP's field order."""
    blob = bytes(blob)
    sections = sections or read_sections(blob, read_header(blob))
    offset, size, count = sections[SEC_TENSORS]
    r = _Packed(blob[offset:offset + size], "tensor")
    tensors = []
    for _ in range(count):
        dtype, loc, rank = r.u8(), r.u8(), r.u8()
        dims = [r.varint() for _ in range(min(rank, 4))]
        dims += [1] * (4 - len(dims))
        offset_, zero_point = r.varint(), r.zigzag()
        elem = 4 if dtype in (DTYPE_CODES["int32"], DTYPE_CODES["float32"]) else 1
        nbytes = elem * dims[0] * dims[1] * dims[2] * dims[3]
        tensors.append((dtype, loc, rank, 0, *dims, offset_, nbytes, zero_point))
    offset, size, count = sections[SEC_OPS]
    r = _Packed(blob[offset:offset + size], "op")
    ops = []
    for _ in range(count):
        opcode, n_in, n_out = r.varint(), r.u8(), r.u8()
        ins = [r.operand() for _ in range(n_in)]
        outs = [r.operand() for _ in range(n_out)]
        flags, n_params = r.varint(), r.u8()
        params = [r.zigzag() for _ in range(n_params)]
        ops.append((opcode, n_in, n_out, *(ins + [NO_TENSOR] * 6)[:6], *(outs + [NO_TENSOR] * 2)[:2], flags,
                    *(params + [0] * 18)[:18]))
    return tensors, ops


def assemble(header_fields, sections):
    """A blob from HEADER's field values (total size, CRC and section count are set
    here) and [(kind, data, count)]: section table, 16-byte aligned sections, CRC."""
    table_end = HEADER.size + len(sections) * SECTION.size
    offset = table_end + (-table_end % ALIGN)
    entries, body = [], bytearray()
    for kind, data, count in sections:
        entries.append(SECTION.pack(kind, offset, len(data), count))
        padded = data + b"\0" * (-len(data) % ALIGN)
        body += padded
        offset += len(padded)
    head_rest = b"".join(entries)
    head_rest += b"\0" * (-(HEADER.size + len(head_rest)) % ALIGN)
    fields = list(header_fields)
    fields[3], fields[4], fields[15] = HEADER.size + len(head_rest) + len(body), 0, len(sections)
    blob = bytearray(HEADER.pack(*fields) + head_rest + body)
    struct.pack_into("<I", blob, 12, crc32(bytes(blob[16:])))
    return bytes(blob)


def with_records(blob, tensors=None, ops=None):
    """The blob with its tensor and/or op records replaced (tuples as unpack_records
    gives them), laid out again with a new CRC: for tools and tests that edit records."""
    blob = bytes(blob)
    header = read_header(blob)
    entries = [SECTION.unpack_from(blob, header.header_size + i * SECTION.size) for i in range(header.n_sections)]
    new = {SEC_TENSORS: tensors and (b"".join(map(pack_tensor, tensors)), len(tensors)),
           SEC_OPS: ops and (b"".join(map(pack_op, ops)), len(ops))}
    sections = [(kind, *new[kind]) if new.get(kind) else (kind, blob[offset:offset + size], count)
                for kind, offset, size, count in entries]
    return assemble(HEADER.unpack_from(blob), sections)


def read_tensors(blob, sections, records=None):
    """The tensor records as dicts (records: unpack_records' result, if read already)."""
    out = []
    for dtype, loc, rank, _, d0, d1, d2, d3, off, nbytes, zp in (records or unpack_records(blob, sections))[0]:
        out.append({"dtype": DTYPES.get(dtype, f"?{dtype}"), "location": LOCATIONS[loc] if loc < len(LOCATIONS) else f"?{loc}",
                    "shape": [d0, d1, d2, d3][:rank], "offset": off, "bytes": nbytes, "zero_point": zp})
    return out


def read_io(blob, sections, header):
    offset, size, count = sections[SEC_IO]
    idx = list(struct.unpack_from(f"<{count}I", blob, offset))
    return idx[:header.n_inputs], idx[header.n_inputs:header.n_inputs + header.n_outputs]


def read_meta(blob, sections):
    if SEC_META not in sections:
        return {}
    offset, size, _ = sections[SEC_META]
    data = bytes(blob[offset:offset + size])
    try:
        if data[:1] != b"{":  # zlib-compressed JSON (what the converter writes)
            data = zlib.decompress(data)
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, zlib.error) as exc:
        raise BlobError(f"blob metadata is not valid JSON: {exc}", "SECTION") from None


def read_blob(blob):
    """Everything a tool needs: header, records (unpacked), tensors, I/O indices and metadata."""
    blob = bytes(blob)
    header = read_header(blob)
    sections = read_sections(blob, header)
    for kind in (SEC_TENSORS, SEC_OPS, SEC_IO):
        if kind not in sections:
            raise BlobError(f"blob lacks required section {kind}", "SECTION")
    records = unpack_records(blob, sections)
    tensors = read_tensors(blob, sections, records)
    inputs, outputs = read_io(blob, sections, header)
    if any(i >= len(tensors) for i in inputs + outputs):
        raise BlobError("blob I/O table refers to a missing tensor", "IO")
    return {"header": header, "sections": sections, "records": records, "tensors": tensors, "inputs": inputs,
            "outputs": outputs, "meta": read_meta(blob, sections)}
