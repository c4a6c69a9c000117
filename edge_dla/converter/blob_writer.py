"""Serialize lowered layers and a memory plan into a blob (see native/include/edla.h)."""
import json
import struct
import zlib

import numpy as np

from .. import blob as fmt
from ..errors import ModelError


class _Tables:
    """Tensor records and constant data, deduplicated: identical constants share bytes and
    views with identical records (e.g. alternating chunks of a double-buffered weight
    buffer) share one record, except the I/O records, which come first and stay distinct."""

    def __init__(self):
        self.records = []
        self.index = {}
        self.by_record = {}  # record bytes -> index
        self.share = False   # set once the I/O records are written
        self.consts = bytearray()
        self.const_offsets = {}
        self.ext_bytes = 0  # external memory the spills need

    def const_offset(self, data, align=fmt.ALIGN):
        if (data, align) not in self.const_offsets:
            self.consts += b"\0" * (-len(self.consts) % align)
            self.const_offsets[data, align] = len(self.consts)
            self.consts += data
        return self.const_offsets[data, align]

    def tensor(self, view):
        if view is None:
            return fmt.NO_TENSOR
        if id(view) in self.index:
            return self.index[id(view)]
        if len(self.records) >= fmt.NO_TENSOR - 1:
            raise ModelError(f"the model needs more than {fmt.NO_TENSOR - 1} tensor records")
        shape = list(view.shape) or [1]
        if len(shape) > 4:
            raise ModelError(f"tensor '{view.name}' has rank {len(shape)}; edge_dla supports up to 4")
        buf = view.buffer
        if buf.is_const:
            loc, offset = fmt.LOC_CONST, self.const_offset(buf.data, buf.align)
        elif buf.wbuf:
            loc, offset = fmt.LOC_WBUF, buf.offset + view.byte_offset
        elif buf.external:
            loc, offset = fmt.LOC_EXT, buf.offset + view.byte_offset
            self.ext_bytes = max(self.ext_bytes, buf.offset + buf.nbytes)
        else:
            loc, offset = fmt.LOC_SCRATCH, buf.offset + view.byte_offset
        nbytes = int(np.prod(shape)) * (4 if view.dtype in ("int32", "float32") else 1)
        record = fmt.pack_tensor((fmt.DTYPE_CODES[view.dtype], loc, len(shape), 0,
                                  *(shape + [1] * (4 - len(shape))), offset, nbytes, int(view.zero_point)))
        if not (self.share and record in self.by_record):
            self.records.append(record)
            self.by_record.setdefault(record, len(self.records) - 1)
        self.index[id(view)] = self.by_record[record] if self.share else len(self.records) - 1
        return self.index[id(view)]


def write_blob(layers, inputs, outputs, peak, npu, meta, weight_buffer_peak=0):
    tables = _Tables()
    io = [tables.tensor(v) for v in inputs + outputs]  # records 0.. in this order
    assert io == list(range(len(io))), "model inputs/outputs must be distinct views"
    tables.share = True
    ops = bytearray()
    for layer in layers:
        ins = [tables.tensor(v) for v in layer.inputs]
        outs = [tables.tensor(v) for v in layer.outputs]
        params = list(layer.params) + [0] * (18 - len(layer.params))
        ops += fmt.pack_op((layer.opcode, len(ins), len(outs), *(ins + [fmt.NO_TENSOR] * (6 - len(ins))),
                            *(outs + [fmt.NO_TENSOR] * (2 - len(outs))),
                            (fmt.OP_FLAG_CPU if layer.cpu else 0) |
                            (fmt.OP_FLAG_ACT_SPARSE if layer.act_sparse else 0), *params))
    # zlib-compressed (the core ignores META; blob.read_meta inflates it)
    meta_bytes = zlib.compress(json.dumps(meta, separators=(",", ":")).encode("utf-8"), 9)
    sections = [
        (fmt.SEC_TENSORS, b"".join(tables.records), len(tables.records)),
        (fmt.SEC_OPS, bytes(ops), len(layers)),
        (fmt.SEC_IO, struct.pack(f"<{len(io)}I", *io), len(io)),
        (fmt.SEC_CONST, bytes(tables.consts), 0),
        (fmt.SEC_META, meta_bytes, 0),
    ]
    if tables.ext_bytes:
        sections.append((fmt.SEC_EXT, b"", tables.ext_bytes))
    npu_values = [int(npu[k]) for k in fmt.NPU_FIELDS]
    header = (fmt.MAGIC, fmt.VERSION_MAJOR, fmt.VERSION_MINOR, 0, 0, fmt.HEADER.size, peak, len(inputs),
              len(outputs), *npu_values, len(sections), int(npu.get("sparsity_block", 1)),
              fmt.NPU_ACT_SPARSITY if npu.get("activation_sparsity") else 0,
              int(npu.get("weight_buffer_capacity", 0)), int(weight_buffer_peak), 0, 0)
    return fmt.assemble(header, sections)
