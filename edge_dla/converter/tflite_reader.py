"""Read a .tflite flatbuffer into a Graph, checking every index and size.

The generated `tflite` accessors trust the file; a hostile file makes them
raise anything from struct.error to IndexError. Every read here goes through
`_guard`, which turns such failures into a ModelError naming the field.
"""
import re
import struct
from contextlib import contextmanager

import numpy as np
import tflite

from ..errors import ModelError
from .graph import Graph, Operator, Tensor

SCHEMA_VERSION = 3

_BUILTIN_NAMES = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
_OPTIONS_NAMES = {v: k for k, v in vars(tflite.BuiltinOptions).items() if not k.startswith("_")}
_TYPE_NAMES = {v: k.lower() for k, v in vars(tflite.TensorType).items() if not k.startswith("_")}
_SKIP_ACCESSORS = re.compile(r"^(Init|GetRootAs.*|.*BufferHasIdentifier|.*AsNumpy|.*Length|.*IsNone)$")


@contextmanager
def _guard(what):
    try:
        yield
    except ModelError:
        raise
    except Exception as exc:  # the flatbuffer accessors raise many kinds
        raise ModelError(f"malformed flatbuffer while reading {what} ({type(exc).__name__}: {exc})") from None


# vtable slots (4 + 2 * schema field id) of the scalar vectors read below.
SLOT_TENSOR_SHAPE, SLOT_QUANT_SCALE, SLOT_QUANT_ZERO_POINT = 4, 8, 10
SLOT_INPUTS, SLOT_OUTPUTS = 6, 8  # the same in SubGraph and Operator
MAX_ELEMENTS = 0x7FFFFFFF  # the blob's dims are int32 and the C core bounds counts by 2^31 - 1


def _vector(obj, slot, dtype, what):
    """A scalar vector field as numpy (None when absent), with the checks a flatbuffer
    verifier makes and the generated accessors skip: the vector lies inside the file,
    its length word is 4-byte aligned and its elements are aligned to their size."""
    tab = obj._tab
    o = tab.Offset(slot)
    if o == 0:
        return None
    start, n = tab.Vector(o), tab.VectorLen(o)
    dtype = np.dtype(dtype).newbyteorder("<")
    if start % 4 or start % dtype.itemsize:
        raise ModelError(f"{what} vector at byte {start} is not {max(4, dtype.itemsize)}-byte aligned")
    if start + n * dtype.itemsize > len(tab.Bytes):
        raise ModelError(f"{what} vector at byte {start} ({n} elements) runs past the end of the file "
                         f"({len(tab.Bytes)} bytes)")
    return np.frombuffer(tab.Bytes, dtype, n, start)


def _index_list(obj, slot, what):
    values = _vector(obj, slot, np.int32, what)
    return [] if values is None else [int(v) for v in values]


def _snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _read_options(op):
    """All builtin option fields of an operator as a snake_case dict."""
    kind = op.BuiltinOptionsType()
    if kind == 0:
        return {}
    cls_name = _OPTIONS_NAMES.get(kind)
    cls = getattr(tflite, cls_name, None) if cls_name else None
    if cls is None:
        return {"_unknown_options": kind}
    table = op.BuiltinOptions()
    if table is None:
        return {}
    opts = cls()
    opts.Init(table.Bytes, table.Pos)
    out = {}
    for name in dir(cls):
        if name.startswith("_") or _SKIP_ACCESSORS.match(name):
            continue
        if hasattr(cls, name + "AsNumpy"):
            value = getattr(opts, name + "AsNumpy")()
            out[_snake(name)] = [] if isinstance(value, int) else [int(v) for v in value]
        else:
            try:
                out[_snake(name)] = getattr(opts, name)()
            except TypeError:  # accessor needing an index: a table vector we do not use
                continue
    return out


def _buffer_data(model, buf_index, raw, where):
    buf = model.Buffers(buf_index)
    if buf is None:
        raise ModelError(f"buffer {buf_index} is missing", where=where)
    offset, size = buf.Offset(), buf.Size()
    if offset > 1:  # data stored after the flatbuffer (models > 2 GB layout)
        if offset + size > len(raw):
            raise ModelError(f"buffer {buf_index} data [{offset}, +{size}) lies past the end of the file "
                             f"({len(raw)} bytes)", where=where)
        return np.frombuffer(raw, np.uint8, count=size, offset=offset)
    if buf.DataIsNone() or buf.DataLength() == 0:
        return None
    return buf.DataAsNumpy()


def _read_tensor(model, sub, i, raw):
    where = f"tensor {i}"
    t = sub.Tensors(i)
    name = (t.Name() or b"").decode("utf-8", "replace")
    where = f"tensor {i} '{name}'"
    type_code = t.Type()
    dtype = _TYPE_NAMES.get(type_code)
    if dtype is None:
        raise ModelError(f"unknown tensor type code {type_code}", where=where)
    shape = _vector(t, SLOT_TENSOR_SHAPE, np.int32, f"{where}: shape")
    shape = () if shape is None else tuple(int(d) for d in shape)
    scales = zero_points = None
    qdim = 0
    q = t.Quantization()
    if q is not None and not q.ScaleIsNone() and q.ScaleLength() > 0:
        scales = _vector(q, SLOT_QUANT_SCALE, np.float32, f"{where}: quantization scale").astype(np.float32)
        zero_points = _vector(q, SLOT_QUANT_ZERO_POINT, np.int64, f"{where}: quantization zero_point")
        zero_points = np.zeros(0, np.int64) if zero_points is None else zero_points.astype(np.int64)
        qdim = int(q.QuantizedDimension())
    n_buffers = model.BuffersLength()
    buf_index = t.Buffer()
    if not 0 <= buf_index < n_buffers:
        raise ModelError(f"buffer index {buf_index} out of range [0, {n_buffers})", where=where)
    data = _buffer_data(model, buf_index, raw, where) if buf_index else None
    if any(d <= 0 for d in shape):
        raise ModelError(f"dimension <= 0 in shape {list(shape)}", where=where)
    count = int(np.prod(shape, dtype=object)) if shape else 1
    if count > MAX_ELEMENTS:
        raise ModelError(f"shape {list(shape)} has {count} elements, more than 2^31 - 1", where=where)
    if data is not None:
        itemsize = np.dtype(dtype).itemsize if dtype in ("int8", "uint8", "int16", "int32", "int64",
                                                          "float32", "float16", "float64") else None
        if itemsize is None:
            raise ModelError(f"constant of unsupported type {dtype}", where=where)
        if count * itemsize != data.size:
            raise ModelError(f"buffer {buf_index} holds {data.size} bytes but shape {list(shape)} x "
                             f"{dtype} needs {count * itemsize}", where=where)
        data = np.frombuffer(data.tobytes(), dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape)
    return Tensor(i, name, shape, dtype, scales, zero_points, qdim, data)


def _opcode_name(model, code_index, where):
    n = model.OperatorCodesLength()
    if not 0 <= code_index < n:
        raise ModelError(f"opcode index {code_index} out of range [0, {n})", where=where)
    oc = model.OperatorCodes(code_index)
    code = max(int(oc.BuiltinCode()), int(oc.DeprecatedBuiltinCode()))
    version = int(oc.Version())
    if code == tflite.BuiltinOperator.CUSTOM:
        custom = (oc.CustomCode() or b"?").decode("utf-8", "replace")
        return f"CUSTOM:{custom}", version
    return _BUILTIN_NAMES.get(code, f"UNKNOWN_BUILTIN_{code}"), version


def read_tflite(data):
    """Parse .tflite bytes into a Graph; raise ModelError naming what is wrong."""
    raw = bytes(data)
    if len(raw) < 8:
        raise ModelError(f"not a TFLite model: {len(raw)} bytes is too short for a flatbuffer")
    if raw[4:8] != b"TFL3":
        raise ModelError("not a TFLite model: missing the 'TFL3' flatbuffer identifier at byte 4")
    root = struct.unpack_from("<I", raw, 0)[0]
    if root % 4 or root + 4 > len(raw):
        raise ModelError(f"root table offset {root} points past the end of the file ({len(raw)} bytes)"
                         if root + 4 > len(raw) else f"root table offset {root} is not 4-byte aligned")
    with _guard("the model table"):
        model = tflite.Model.GetRootAsModel(raw, 0)
        version = model.Version()
    if version != SCHEMA_VERSION:
        raise ModelError(f"schema version {version} is not supported (expected {SCHEMA_VERSION})")
    with _guard("the subgraph list"):
        n_sub = model.SubgraphsLength()
    if n_sub != 1:
        raise ModelError(f"{n_sub} subgraphs: edge_dla runs single-subgraph models "
                         "(no control flow)")
    with _guard("subgraph 0"):
        sub = model.Subgraphs(0)
        n_tensors = sub.TensorsLength()
        inputs = _index_list(sub, SLOT_INPUTS, "subgraph 0: inputs")
        outputs = _index_list(sub, SLOT_OUTPUTS, "subgraph 0: outputs")
        description = (model.Description() or b"").decode("utf-8", "replace")
    tensors = []
    for i in range(n_tensors):
        with _guard(f"tensor {i}"):
            tensors.append(_read_tensor(model, sub, i, raw))
    operators = []
    with _guard("the operator list"):
        n_ops = sub.OperatorsLength()
    for i in range(n_ops):
        where = f"op {i}"
        with _guard(where):
            op = sub.Operators(i)
            kind, version = _opcode_name(model, op.OpcodeIndex(), where)
            ins = _index_list(op, SLOT_INPUTS, f"{where}: inputs")
            outs = _index_list(op, SLOT_OUTPUTS, f"{where}: outputs")
            options = _read_options(op)
        operators.append(Operator(i, kind, version, ins, outs, options))
    if not inputs or not outputs:
        raise ModelError("the subgraph declares no inputs or no outputs")
    return Graph(tensors, operators, inputs, outputs, description)
