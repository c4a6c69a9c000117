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
VERSION_MAJOR, VERSION_MINOR = 2, 1  # 2: the weight stream of codec.c; .1: the NPU weight buffer
ALIGN = 16
HEADER = struct.Struct("<4sHHIIIIII6IIHH4I")     # edla_header, 80 bytes
SECTION = struct.Struct("<IIII")                  # edla_section
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


def read_tensors(blob, sections):
    offset, size, count = sections[SEC_TENSORS]
    out = []
    for i in range(count):
        dtype, loc, rank, _, d0, d1, d2, d3, off, nbytes, zp = TENSOR.unpack_from(blob, offset + i * TENSOR.size)
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
    """Everything a tool needs: header, tensors, I/O indices and metadata."""
    blob = bytes(blob)
    header = read_header(blob)
    sections = read_sections(blob, header)
    for kind in (SEC_TENSORS, SEC_OPS, SEC_IO):
        if kind not in sections:
            raise BlobError(f"blob lacks required section {kind}", "SECTION")
    tensors = read_tensors(blob, sections)
    inputs, outputs = read_io(blob, sections, header)
    if any(i >= len(tensors) for i in inputs + outputs):
        raise BlobError("blob I/O table refers to a missing tensor", "IO")
    return {"header": header, "sections": sections, "tensors": tensors, "inputs": inputs,
            "outputs": outputs, "meta": read_meta(blob, sections)}
