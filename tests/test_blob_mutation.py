"""Exhaustive blob mutation (issue 8, item 3): the C loader refuses or safely runs every
mutant of a small blob.

For each small blob (hello_world; all_ops and movement_ops, two small models of
tests/corpus/make_corpus.py over the NPU layers and over the CPU-side ops; the tables
of micro_speech): every single-bit flip of the whole blob (raw, which the CRC
must catch, and with the CRC recomputed so that the structural checks are what
decides), truncation at every offset (raw, and with total_size and the CRC fixed
up), and every field of the header, section table, tensor records, op records
(operand indices, counts, flags, all 18 parameters) and I/O table set to 0, 1,
size-1, size+1, 0x7FFFFFFF, 0xFFFFFFFF and a few field-specific neighbours
(index bounds, the field's own value +-1), CRC recomputed. A mutant the loader
accepts is invoked on random scratchpad contents, once per host kernel path
(portable C, AVX2, AVX-512 VNNI: those the CPU has), and must leave the blob
unchanged. Everything runs in-process through edge_dla._native.NativeModel;
`make test-asan` runs this file against an ASan/UBSan build of the core, where
any out-of-bounds access or undefined behaviour aborts the run.
"""
import importlib.util
import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

import edge_dla
from conftest import model_bytes
from edge_dla import blob as fmt
from edge_dla import _native
from edge_dla._native import NativeModel, ffi
from edge_dla.errors import BlobError

_spec = importlib.util.spec_from_file_location("make_corpus", Path(__file__).parent / "corpus" / "make_corpus.py")
make_corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_corpus)

CAPACITY = 1 << 20
DEFAULT_ISA = _native._isa_level  # restored after each mutant
ISA_LEVELS = _native.isa_levels()  # those this CPU has
COUNTS = {}  # mutation kind (blob) -> (mutants, accepted); `pytest -s` prints them

BLOBS = {
    "hello_world": lambda: edge_dla.convert(model_bytes("hello_world_int8")),
    "all_ops": lambda: edge_dla.convert(make_corpus.all_ops_model()),
    "movement_ops": lambda: edge_dla.convert(make_corpus.movement_ops_model()),
    "micro_speech": lambda: edge_dla.convert(model_bytes("micro_speech_quantized")),
}
# Bit flips cover every byte of these; of the others (micro_speech: 19 KB, most of it
# weights) the header, section table, tensor, op and I/O records.
WHOLE_BLOB = ["hello_world", "all_ops", "movement_ops"]


@pytest.fixture(scope="module", params=list(BLOBS))
def blob(request):
    return request.param, BLOBS[request.param]()


@pytest.fixture(scope="module", autouse=True)
def total():
    yield
    mutants = sum(m for m, _ in COUNTS.values())
    accepted = sum(a for _, a in COUNTS.values())
    print(f"\nblob mutation total: {mutants} mutants, {accepted} accepted and run, "
          f"{mutants - accepted} refused")


def _layout(blob):
    header = fmt.read_header(blob)
    sections = fmt.read_sections(blob, header)
    return header, sections


def _recrc(blob):
    """Recompute the CRC over [16, total_size) (total_size as the blob now says, when it fits)."""
    blob = bytearray(blob)
    total = min(struct.unpack_from("<I", blob, 8)[0], len(blob))
    struct.pack_into("<I", blob, 12, zlib.crc32(bytes(blob[16:total])) & 0xFFFFFFFF)
    return bytes(blob)


class Runner:
    """Loads mutants; runs the accepted ones once; counts both."""

    def __init__(self, seed=0):
        self.mutants = self.accepted = 0
        self.statuses = {}
        self.rng = np.random.default_rng(seed)

    def __call__(self, mutant):
        self.mutants += 1
        try:
            model = NativeModel(mutant, CAPACITY)
        except BlobError as exc:
            self.statuses[exc.status] = self.statuses.get(exc.status, 0) + 1
            return False
        self.accepted += 1
        noise = self.rng.integers(0, 256, model.scratch.size, dtype=np.uint8)
        for level in ISA_LEVELS:  # every host kernel path: portable C, AVX2, AVX-512
            _native.set_isa(level)
            model.scratch[:] = noise
            model.invoke()
        _native.set_isa(DEFAULT_ISA)
        assert ffi.buffer(model._blob, len(mutant))[:] == mutant, "invoke wrote into the blob"
        return True

    def report(self, name):
        COUNTS[name] = (self.mutants, self.accepted)
        print(f"\n{name}: {self.mutants} mutants, {self.accepted} accepted and run, refused by status "
              f"{dict(sorted(self.statuses.items()))}")


# ---- bit flips ----------------------------------------------------------------------

def _flip_range(name, blob):
    if name in WHOLE_BLOB:
        return range(len(blob))
    header, sections = _layout(blob)
    return range(sections[fmt.SEC_CONST][0])  # header, section table, tensors, ops, I/O


def test_every_bit_flip_is_caught_by_the_crc_or_header_check(blob):
    name, data = blob
    run = Runner()
    for pos in _flip_range(name, data):
        for bit in range(8):
            mutant = bytearray(data)
            mutant[pos] ^= 1 << bit
            accepted = run(bytes(mutant))
            # version_minor: a v1 reader accepts any minor version by design
            assert accepted == (pos in (6, 7)), f"flip of byte {pos} bit {bit}: accepted={accepted}"
    run.report(f"raw bit flips ({name})")


def test_every_bit_flip_with_the_crc_fixed_up_is_refused_or_runs_safely(blob):
    name, data = blob
    run = Runner()
    for pos in _flip_range(name, data):
        if 12 <= pos < 16:  # the CRC field itself: recomputing it undoes the flip
            continue
        for bit in range(8):
            mutant = bytearray(data)
            mutant[pos] ^= 1 << bit
            run(_recrc(mutant))
    run.report(f"bit flips, CRC fixed ({name})")
    assert run.mutants - run.accepted > 0


# ---- truncations --------------------------------------------------------------------

def test_every_truncation_is_refused(blob):
    name, data = blob
    run = Runner()
    for cut in range(len(data)):
        assert not run(data[:cut]), f"truncation at {cut} accepted"
    run.report(f"truncations ({name})")


def test_every_truncation_with_size_and_crc_fixed_up(blob):
    """total_size and CRC say the blob really is this short: refused unless only the
    padding after the last section was cut."""
    name, data = blob
    header, sections = _layout(data)
    end = max(offset + size for offset, size, _ in sections.values())
    run = Runner()
    for cut in range(fmt.HEADER.size, len(data)):
        mutant = bytearray(data[:cut])
        struct.pack_into("<I", mutant, 8, cut)
        assert run(_recrc(mutant)) == (cut >= end), f"truncation at {cut} (sections end at {end})"
    run.report(f"truncations, size and CRC fixed ({name})")


# ---- fields set to hostile values ---------------------------------------------------------

def _fields(struct_fmt):
    """(offset, width, signed) of every scalar in a little-endian struct format."""
    out, pos = [], 0
    for count, code in re.findall(r"(\d*)([a-zA-Z])", struct_fmt.lstrip("<")):
        n = int(count or 1)
        if code == "s":
            pos += n  # magic: not a number
            continue
        width = struct.calcsize("<" + code)
        for _ in range(n):
            out.append((pos, width, code.islower()))
            pos += width
    return out


def _record_fields(blob):
    """(label, absolute offset, width, signed) of every field of the fixed-layout tables."""
    header, sections = _layout(blob)
    # every header field but the CRC (recomputed for each mutant anyway)
    fields = [(f"header+{o}", o, w, s) for o, w, s in _fields(fmt.HEADER.format) if o != 12]
    for i in range(header.n_sections):
        base = header.header_size + i * fmt.SECTION.size
        fields += [(f"section {i}+{o}", base + o, w, s) for o, w, s in _fields(fmt.SECTION.format)]
    offset, size, count = sections[fmt.SEC_IO]
    fields += [(f"io {i}", offset + 4 * i, 4, False) for i in range(count)]
    return header, sections, fields


# The packed record fields (edla.h) by position in the record tuples of fmt.unpack_records,
# with the values each can hold: a byte, a 32-bit varint, an operand (u16 once unpacked)
# or a zigzag-coded int32. Tensor fields 3 (reserved) and 9 (bytes) are not stored.
U8, VARINT, OPERAND, ZIGZAG = (lambda v: v & 0xFF), (lambda v: v & 0xFFFFFFFF), (lambda v: v & 0xFFFF), \
    (lambda v: ((v & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000)
TENSOR_FIELDS = {0: U8, 1: U8, 2: U8, 4: VARINT, 5: VARINT, 6: VARINT, 7: VARINT, 8: VARINT, 10: ZIGZAG}
OP_FIELDS = {0: VARINT, 1: U8, 2: U8, **{k: OPERAND for k in range(3, 11)}, 11: VARINT,
             **{k: ZIGZAG for k in range(12, 30)}}


def _hostile_values(blob, header, sections, orig, domain):
    size = len(blob)
    n_tensors = sections[fmt.SEC_TENSORS][2]
    values = {0, 1, size - 1, size + 1, 0x7FFFFFFF, 0xFFFFFFFF,       # the list
              orig - 1, orig + 1, 0x80000000,                          # neighbours, INT32_MIN
              n_tensors - 1, n_tensors, fmt.NO_TENSOR - 1,             # index bounds
              header.scratchpad_required, sections[fmt.SEC_CONST][1]}  # region sizes
    return sorted({domain(v) for v in values} - {orig})


def _record_mutants(blob, header, sections):
    """(label, mutant) for every tensor and op record field set to each hostile value."""
    tensors, ops = fmt.unpack_records(blob)
    for kind, records, domains in (("tensor", tensors, TENSOR_FIELDS), ("op", ops, OP_FIELDS)):
        for r, record in enumerate(records):
            for k, domain in domains.items():
                for value in _hostile_values(blob, header, sections, record[k], domain):
                    mutated = records[:r] + [record[:k] + (value,) + record[k + 1:]] + records[r + 1:]
                    yield f"{kind} {r} field {k}", fmt.with_records(blob, **{f"{kind}s": mutated})


def test_every_field_set_to_hostile_values(blob):
    name, data = blob
    header, sections, fields = _record_fields(data)
    run = Runner()
    n_fields = len(fields)
    for label, pos, width, _ in fields:
        orig = int.from_bytes(data[pos:pos + width], "little")
        for value in _hostile_values(data, header, sections, orig, lambda v: v & ((1 << (8 * width)) - 1)):
            mutant = bytearray(data)
            mutant[pos:pos + width] = value.to_bytes(width, "little")
            run(_recrc(mutant))
    labels = set()
    for label, mutant in _record_mutants(data, header, sections):
        labels.add(label)
        run(mutant)
    n_fields += len(labels)
    run.report(f"fields x hostile values ({name}, {n_fields} fields)")
    assert run.mutants > 10 * n_fields // 2
    assert run.mutants - run.accepted > run.accepted  # most are refused; the rest ran safely


def test_op_parameters_each_set_to_extremes(blob):
    """Every op parameter (all 18, used or not) at the int32 extremes and around zero, one at a
    time, keeps the loader's promise: refused, or runs without touching memory it should not."""
    name, data = blob
    ops = fmt.unpack_records(data)[1]
    run = Runner()
    for r, op in enumerate(ops):
        for k in range(12, 30):
            for value in (-(1 << 31), -(1 << 30), -129, -32, -2, -1, 2, 31, 32, 127, 128, 255, 1 << 30):
                run(fmt.with_records(data, ops=ops[:r] + [op[:k] + (value,) + op[k + 1:]] + ops[r + 1:]))
    run.report(f"op params x extremes ({name})")
