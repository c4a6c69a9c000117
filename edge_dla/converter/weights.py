"""Weight formats: per layer, dense or sparse, and the compressed streams in flash.

Every weighted layer (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED) gets one of

* **sparse**: the layer becomes CONV_2D_SPARSE / DEPTHWISE_CONV_2D_SPARSE /
  FULLY_CONNECTED_SPARSE, whose weights (with the channels' bias, multiplier
  and shift tables) are one compressed stream decoded by a DMA_DECODE command
  into the packed layout of native/include/edla.h: per channel and tap a count,
  then the non-zero weights' inner indices and values. The MAC loop visits only
  those; MACs of all-zero blocks of `sparsity_block` weights are skipped.
* **dense**: the dense kernels, unchanged; the filter is staged by DMA, or by
  DMA_DECODE in dense mode when the compressed filter is smaller.

Sparse is chosen where it is faster: when it executes at most SPARSE_MAX_EXEC
of the dense MACs. `weight_format` "dense" / "sparse" forces one (sparse only
where the layer allows it). The range coder (codec.c's edla_encode_stream)
is run by the native core itself, so encoder and decoder cannot disagree.
"""
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

SPARSE_KINDS = {"CONV_2D": "CONV_2D_SPARSE", "DEPTHWISE_CONV_2D": "DEPTHWISE_CONV_2D_SPARSE",
                "FULLY_CONNECTED": "FULLY_CONNECTED_SPARSE"}
DENSE_KINDS = {v: k for k, v in SPARSE_KINDS.items()}
PACK_DENSE_LAYERS = True   # sparse-pack dense layers for flash (slower on the host: scalar loops)
SPARSE_MAX_EXEC = 0.8          # sparse when it executes at most this fraction of the dense MACs
SPARSE_HEADER = 16             # EDLA_SPARSE_HEADER
DECODE_BYTES_PER_CYCLE = 8     # EDLA_DECODE_BYTES_PER_CYCLE
FORMATS = ("auto", "dense", "sparse")
DEC_MODE_DENSE, DEC_MODE_SPARSE, DEC_MODE_PACKED_DENSE = 0, 1, 2


@lru_cache(maxsize=4096)
def _encode_cached(tables_bytes, n_tables, table_len, weight_bytes, geometry):
    from .._native import ffi, lib
    n = len(weight_bytes)
    cap = 64 + 2 * n + 8 * n_tables * table_len
    out = ffi.new("uint8_t[]", cap)
    tables = ffi.from_buffer("int32_t[]", tables_bytes) if tables_bytes else ffi.NULL
    weights = ffi.from_buffer("int8_t[]", weight_bytes) if weight_bytes else ffi.NULL
    size = lib.edla_encode_stream(tables, n_tables, table_len, weights, n, *geometry, out, cap)
    assert size > 0, "range coder output overflow"
    return bytes(ffi.buffer(out, size))


def encode(tables, weights, geometry=(0, 0, 0)):
    """Code int32 tables ([n_tables, len]: the last n_tables of bias, mult, shift)
    then int8 weights (flat) into a weight stream (edla.h). geometry (taps, inner,
    kw) places each weight in its kernel so that its left and up neighbours
    predict it; (0, 0, 0): no neighbours."""
    tables = np.ascontiguousarray(tables, dtype="<i4")
    n_tables, table_len = (tables.shape if tables.size else (0, 0))
    return _encode_cached(tables.tobytes(), int(n_tables), int(table_len),
                          np.ascontiguousarray(weights, np.int8).tobytes(), tuple(int(g) for g in geometry))


def decode(stream, n_tables, table_len, n):
    """The tables ([n_tables, table_len] int32) and n int8 weights of a weight stream."""
    from .._native import ffi, lib
    tables = np.zeros((n_tables, table_len), "<i4")
    w = np.zeros(n, np.int8)
    lib.edla_decode_stream(ffi.from_buffer("uint8_t[]", stream) if stream else ffi.new("uint8_t[1]"), len(stream),
                           ffi.from_buffer("int32_t[]", tables, require_writable=True) if tables.size else ffi.NULL,
                           n_tables, table_len,
                           ffi.from_buffer("int8_t[]", w, require_writable=True) if n else ffi.NULL, n)
    return tables, w


def filter_geometry(shape):
    """(taps, inner, kw) of a filter as the dense kernels store it: conv OHWI
    rows; depthwise [1, Kh, Kw, C] one row of C-wide taps; FC [Co, depth] rows."""
    if len(shape) == 4:
        return shape[1] * shape[2], shape[3], shape[2]
    return 1, int(np.prod(shape[1:])) if len(shape) > 1 else 1, 1


@dataclass(eq=False)
class SparseWeights:
    """A sparse layer's weights as [Co, taps, inner] plus its chunk-able tables."""
    w: np.ndarray               # int8 [Co, taps, inner]
    bias: np.ndarray            # int32 [Co] or None
    mult: np.ndarray
    shift: np.ndarray
    block: int
    axis: int                   # 0: blocks along inner, 1: along channels (depthwise)
    info: dict = field(default_factory=dict)
    kw: int = 1                 # kernel width: taps run in rows of kw (the coder's neighbours)

    def geometry(self):
        return self.w.shape[1], self.w.shape[2], self.kw

    def exec_per_pixel(self, begin, end):
        """MACs executed per output pixel for channels [begin, end) (sparse.c's sp_exec)."""
        w = self.w[begin:end] != 0
        n = self.block
        if self.axis == 0:
            co, taps, inner = w.shape
            nb = -(-inner // n)
            pad = np.zeros((co, taps, nb * n), bool)
            pad[..., :inner] = w
            any_nz = pad.reshape(co, taps, nb, n).any(-1)
            sizes = np.minimum(n, inner - np.arange(nb) * n)
            return int((any_nz * sizes).sum())
        co, taps = w.shape[:2]
        nb = -(-co // n)
        pad = np.zeros((nb * n, taps), bool)
        pad[:co] = w[..., 0]
        any_nz = pad.reshape(nb, n, taps).any(1)
        sizes = np.minimum(n, co - np.arange(nb) * n)
        return int((any_nz * sizes[:, None]).sum())

    def nnz(self, begin, end):
        return int(np.count_nonzero(self.w[begin:end]))

    def decoded_bytes(self, begin, end):
        co, taps = end - begin, self.w.shape[1]
        return SPARSE_HEADER + 12 * co + 2 * co * taps + 3 * self.nnz(begin, end)

    def max_channel_bytes(self):
        taps = self.w.shape[1]
        per = np.count_nonzero(self.w.reshape(self.w.shape[0], -1), axis=1)
        return int(12 + 2 * taps + 3 * per.max()) if per.size else 12 + 2 * taps

    def stream(self, begin, end):
        tables = [t[begin:end] for t in (self.bias, self.mult, self.shift) if t is not None]
        return encode(np.stack(tables), self.w[begin:end].reshape(-1), self.geometry())

    def decode_params(self, begin, end):
        co, taps, inner = self.w[begin:end].shape
        return [DEC_MODE_SPARSE, co, taps, inner, self.nnz(begin, end), int(self.bias is not None), self.axis]


def _const_array(view, dtype):
    return np.frombuffer(view.buffer.data, dtype).reshape(view.shape)


def _layer_weights(layer, block):
    """SparseWeights of a weighted layer, or (None, reason) when it cannot be sparse."""
    filt = layer.inputs[1]
    if filt is None or not filt.buffer.is_const:
        return None, "filter not constant"
    w = _const_array(filt, np.int8)
    if layer.kind == "CONV_2D":
        co, kh, kw, ci = w.shape
        w3, axis = w.reshape(co, kh * kw, ci), 0
        if ci > 65535:
            return None, "more than 65,535 input channels"
    elif layer.kind == "DEPTHWISE_CONV_2D":
        _, kh, kw, co = w.shape
        w3, axis = np.ascontiguousarray(w.reshape(kh * kw, co).T).reshape(co, kh * kw, 1), 1
    else:
        co, depth = w.shape
        w3, axis = w.reshape(co, 1, depth), 0
        if layer.params[1] != 0:
            return None, "weights have a non-zero zero point"
        if depth > 65535:
            return None, "depth above 65,535"
    if co * w3.shape[1] > (1 << 24):
        return None, "too many channel taps"
    bias = None if layer.inputs[2] is None else _const_array(layer.inputs[2], "<i4")
    mult, shift = _const_array(layer.inputs[3], "<i4"), _const_array(layer.inputs[4], "<i4")
    kw = w.shape[2] if w.ndim == 4 else 1
    return SparseWeights(w3, bias, mult, shift, block, axis, kw=kw), None


def _pixels(layer):
    """Output pixels (FC: rows) of a conv/FC layer: dense MACs / weights."""
    return layer.macs // max(1, int(np.prod(layer.inputs[1].shape)))


def choose_formats(layers, block=1, weight_format="auto", optimise="balanced"):
    """Give each weighted layer its weight format; sparse layers change kind. With
    optimise="performance" (the scratchpad peak may grow), "auto" makes sparse up
    front every layer that executes at most SPARSE_MAX_EXEC of its MACs that way."""
    if weight_format not in FORMATS:
        raise ValueError(f"weight_format must be one of {', '.join(FORMATS)}, got {weight_format!r}")
    out = []
    for layer in layers:
        if layer.kind not in SPARSE_KINDS:
            out.append(layer)
            continue
        sw, why_not = _layer_weights(layer, block)
        w = _const_array(layer.inputs[1], np.int8) if layer.inputs[1].buffer.is_const else None
        zeros = float(np.mean(w == 0)) if w is not None and w.size else 0.0
        if sw is None:
            out.append(replace(layer, info={**layer.info, "weights": {
                "format": "dense", "zero_weights": round(zeros, 4), "reason": f"sparse impossible: {why_not}"}}))
            continue
        dense = sw.w.size
        executed = sw.exec_per_pixel(0, sw.w.shape[0])
        ratio = executed / dense if dense else 1.0
        if weight_format == "sparse" or (weight_format == "auto" and optimise == "performance"
                                         and ratio <= SPARSE_MAX_EXEC):
            reason = (f"{zeros:.0%} zero weights: executes {ratio:.0%} of the MACs"
                      + (f" (blocks of {block})" if block > 1 else "")
                      + ("" if weight_format == "auto" else "; forced"))
            sw.info = {"format": "sparse", "zero_weights": round(zeros, 4), "executed_fraction": round(ratio, 4),
                       "reason": reason}
            params = list(layer.params)
            if layer.kind == "FULLY_CONNECTED":
                params = params[:7] + [sw.w.shape[2]]
            else:
                kh, kw = layer.inputs[1].shape[1:3]
                params = params[:13] + [kh, kw]
            pixels = _pixels(layer)
            out.append(replace(layer, kind=SPARSE_KINDS[layer.kind], params=params, macs=pixels * executed,
                               sparse=sw, info={**layer.info, "weights": sw.info}))
        else:
            reason = (f"{zeros:.0%} zero weights: sparse would execute {ratio:.0%} of the MACs"
                      if weight_format == "auto" else "forced")
            if weight_format == "auto" and ratio <= SPARSE_MAX_EXEC:
                reason += (", but no sparse staging of it lowered the cycles within the scratchpad"
                           " peak (optimise=\"performance\" may allow it)")
            out.append(replace(layer, info={**layer.info, "weights": {
                "format": "dense", "zero_weights": round(zeros, 4), "reason": reason}}))
    return out


def dense_stream(data, geometry=(0, 0, 0)):
    """The compressed filter of a dense layer, or None when compression does not pay."""
    packed = encode(np.zeros((0, 0), np.int32), np.frombuffer(data, np.int8), geometry)
    return packed if len(packed) < len(data) else None


SPARSE_MIN_CHUNK = 16384       # weight-buffer budget of sparse layers when nothing is staged


SPARSE_CHUNK_FLOOR = 4096      # smaller packed chunks cost more in records and coder restarts


def sparse_budget(budget):
    """Weight-buffer budget of a sparse layer under the fitter's chunk budget."""
    if budget is None:
        return None
    return SPARSE_MIN_CHUNK if budget == 0 else max(budget, SPARSE_CHUNK_FLOOR)


def pixels_of(layer):
    """Output pixels of a conv (rows of an FC) as the kernel counts them."""
    if layer.kind == "FULLY_CONNECTED_SPARSE":
        return int(np.prod(layer.inputs[0].shape)) // layer.params[7]
    return int(np.prod(layer.outputs[0].shape[:3]))


def stage_sparse(layer, ranges):
    """DMA_DECODE + sparse layer per output-channel chunk (tiling.stage_weights)."""
    from .layers import Buffer, Layer, View
    sw = layer.sparse
    pixels = pixels_of(layer)
    channel_param = 5 if layer.kind == "FULLY_CONNECTED_SPARSE" else 11
    out = []
    for begin, end in ranges:
        packed = sw.stream(begin, end)
        name = f"{layer.inputs[1].name}[{begin}:{end}]"
        size = sw.decoded_bytes(begin, end)
        src = View(name + "#rc", (len(packed),), "int8", 0, Buffer(name + "#rc", len(packed), packed, align=1))
        staged = View(name + "@sram", (size,), "int8", 0, Buffer(name + "@sram", size, prefetch=True))
        raw = (end - begin) * int(np.prod(sw.w.shape[1:])) + 4 * (end - begin) * (2 + (sw.bias is not None))
        out.append(Layer("DMA_DECODE", [src], [staged], sw.decode_params(begin, end), layer.source, 0,
                         {"dma_for": layer.kind, "codec": "range", "raw_bytes": raw,
                          "compressed_bytes": len(packed), "decoded_bytes": size}))
        params = list(layer.params)
        params[channel_param:channel_param + 2] = [begin, end]
        info = {**layer.info, "channels": [begin, end]} if len(ranges) > 1 else layer.info
        out.append(replace(layer, inputs=[layer.inputs[0], staged], params=params,
                           macs=pixels * sw.exec_per_pixel(begin, end), info=info, sparse=None))
    return out




def _flash_bytes(layer):
    return sum(v.buffer.nbytes for v in layer.inputs if v is not None and v.buffer.is_const)


META_PER_LAYER = 32            # zlib-compressed inspect metadata per layer record, measured


def _blob_bytes(layers):
    """Bytes layers take in a blob beyond their constants: op records, tensor records
    (views counted once) and their share of the metadata."""
    views = {id(v) for l in layers for v in l.inputs + l.outputs if v is not None}
    return (96 + META_PER_LAYER) * len(layers) + 32 * len(views)


def _staged_flash_bytes(staged):
    """Constant bytes of staged layers; channel chunks share their tables (stored once)."""
    return sum({id(v.buffer): v.buffer.nbytes for l in staged for v in l.inputs
                if v is not None and v.buffer.is_const}.values())


SPARSE_CHUNK_BUDGETS = (None, 16384, 8192, 4096, 2048)
PACKED_CHUNK_BUDGETS = (None, 8192, 4096, 2048)  # packed-dense chunks: two in flight in a 16 KiB buffer


def _channel_ranges(sw, budget, step):
    co = sw.w.shape[0]
    size = co if budget is None else max(step, budget // sw.max_channel_bytes() // step * step)
    return [(c, min(c + size, co)) for c in range(0, co, size)]


def _packings(layer, block, allow_sparse=True):
    """Alternatives to an unstaged dense layer: (faster, flash saving, layers), best first.
    Sparse where it executes at most SPARSE_MAX_EXEC of the MACs comes first (whole
    layer, then channel chunks); then whatever takes less flash."""
    options = []
    raw = _flash_bytes(layer)
    sw, _ = _layer_weights(layer, block) if allow_sparse else (None, None)
    if sw is not None:
        kind = SPARSE_KINDS[layer.kind]
        params = list(layer.params)
        params = params[:7] + [sw.w.shape[2]] if kind == "FULLY_CONNECTED_SPARSE" else \
            params[:13] + list(layer.inputs[1].shape[1:3])
        dense = sw.w.size
        ratio = sw.exec_per_pixel(0, sw.w.shape[0]) / dense if dense else 1.0
        zeros = round(1 - sw.nnz(0, sw.w.shape[0]) / max(1, dense), 4)
        faster = ratio <= SPARSE_MAX_EXEC
        why = (f"{zeros:.0%} zero weights: executes {ratio:.0%} of the MACs" if faster else
               f"packed for flash (weights and tables compressed together); executes {ratio:.0%} of the MACs")
        sw.info = {"format": "sparse", "zero_weights": zeros, "executed_fraction": round(ratio, 4),
                   "reason": why + (f" (blocks of {block})" if block > 1 else "")}
        sparse = replace(layer, kind=kind, params=params, sparse=sw, info={**layer.info, "weights": sw.info})
        step = layer.params[10] if kind == "DEPTHWISE_CONV_2D_SPARSE" else 1
        seen = set()
        if not faster:  # packed for flash: the dense loops over weights decoded with their tables
            sw.info = {**sw.info, "format": "packed", "executed_fraction": 1.0,
                       "reason": "packed for flash: weights and tables compressed together, dense loops"}
            packed_layer = replace(sparse, info={**layer.info, "weights": sw.info})
            per_channel = 12 + sw.w.shape[1] * sw.w.shape[2]
            for budget in PACKED_CHUNK_BUDGETS if PACK_DENSE_LAYERS else ():
                if budget is None:
                    ranges = None
                else:
                    size = max(step, budget // per_channel // step * step)
                    if size >= sw.w.shape[0]:
                        continue
                    ranges = [(c, min(c + size, sw.w.shape[0])) for c in range(0, sw.w.shape[0], size)]
                staged = stage_packed_dense(packed_layer, ranges)
                saving = raw + _blob_bytes([layer]) - _staged_flash_bytes(staged) - _blob_bytes(staged)
                if saving > 0:
                    options.append((False, saving, staged))
        for budget in SPARSE_CHUNK_BUDGETS if faster else ():
            ranges = tuple(_channel_ranges(sw, budget, step))
            if ranges in seen or (budget is None and sw.decoded_bytes(0, sw.w.shape[0]) > 4 * SPARSE_MIN_CHUNK):
                continue
            seen.add(ranges)
            staged = stage_sparse(sparse, list(ranges))
            saving = raw + _blob_bytes([layer]) - _staged_flash_bytes(staged) - _blob_bytes(staged)
            if faster or (saving > 0 and PACK_DENSE_LAYERS):
                options.append((faster, saving, staged))
    from . import tiling
    seen = set()
    for budget in SPARSE_CHUNK_BUDGETS:  # the dense filter compressed, whole or in channel chunks
        staged = tiling.stage_weights([layer], budget)
        key = len(staged)
        if key in seen or not any(l.kind == "DMA_DECODE" for l in staged):
            continue
        seen.add(key)
        saving = raw + _blob_bytes([layer]) - _staged_flash_bytes(staged) - _blob_bytes(staged)
        if saving > 0:
            options.append((False, saving, staged))
    faster = [o for o in options if o[0]]  # in chunking order
    return faster + sorted((o for o in options if not o[0]), key=lambda o: -o[1])


def _staged_buffers(staged):
    """The weight buffers an option's transfers (DMA, DMA_DECODE from flash) fill."""
    return [l.outputs[0].buffer for l in staged if l.kind in ("DMA", "DMA_DECODE") and l.inputs[0].buffer.is_const]


def _fits(trial, staged, inputs, outputs, aliases, peak, weight_buffer):
    """Place an option's staged weights in the NPU weight buffer if they fit there (the
    scratchpad plan is then unchanged), else in the scratchpad; True if the plan's
    scratchpad peak stays within `peak` either way."""
    from . import memory_plan
    staged_bufs = _staged_buffers(staged)
    for in_wbuf in ((True, False) if weight_buffer else (False,)):
        for buf in staged_bufs:
            buf.wbuf = in_wbuf
        try:
            if in_wbuf and memory_plan.plan_weight_buffer(trial) > weight_buffer:
                continue
            if memory_plan.plan(memory_plan.assign_lifetimes(trial, inputs, outputs, aliases))["peak"] <= peak:
                return True
        except Exception:  # noqa: BLE001 - an option that does not plan is skipped
            continue
    return False


def pack_for_flash(layers, inputs, outputs, npu, plan, block=1, weight_format="auto", optimise="balanced"):
    """Sparse where faster, smaller where free: an unstaged dense layer (weights
    streamed from flash) becomes sparse where that lowers the modeled cycles, else
    gets its weights compressed (DMA_DECODE, dense mode) or packed with its tables
    (sparse format) where the cycles do not grow. Staged weights go to the NPU
    weight buffer where they fit it (npu["weight_buffer_capacity"]), else to the
    scratchpad, whose real plan's peak may not grow ("balanced", "size") or must
    fit it ("performance"). Tiled plans are left alone."""
    from . import memory_plan, tiling
    if plan.get("segments") or plan.get("external_bytes"):
        return layers, {**plan, "weight_buffer_peak": 0}
    aliases = list(getattr(layers, "aliases", ()))  # in-place buffer pairs: untouched by staging
    layers = list(layers)
    weight_buffer = npu.get("weight_buffer_capacity", 0)
    peak, cycles = plan["peak"], tiling.estimate_cycles(layers, npu)
    if optimise == "performance":
        peak = max(peak, npu["scratchpad_capacity"])
    candidates = [l for l in layers if l.kind in SPARSE_KINDS and l.inputs[1] is not None
                  and l.inputs[1].buffer.is_const]
    for layer in reversed(candidates):  # from the end; found by identity (hoisting shifts indices)
        i = layers.index(layer)
        best = None  # the fastest sparse option, else the smallest that costs no cycles
        for faster, _, staged in _packings(layer, block, allow_sparse=weight_format == "auto"):
            if best is not None and not faster and best[0]:
                break
            for trial in _started_earlier(layers[:i] + staged + layers[i + 1:], i):
                c = tiling.estimate_cycles(trial, npu)
                if c > cycles or (faster and c == cycles) or (best is not None and c >= best[1]):
                    continue
                if _fits(trial, staged, inputs, outputs, aliases, peak, weight_buffer):
                    best = (faster, c, trial, [(b, b.wbuf) for b in _staged_buffers(staged)])
                    break
            if best is not None and not best[0]:
                break
        if best is not None:
            layers, cycles = best[2], best[1]
            for buf, in_wbuf in best[3]:  # a later (rejected) option may have moved them
                buf.wbuf = in_wbuf
    layers, cycles = _hoist_transfers(layers, inputs, outputs, npu, aliases, peak, cycles)
    buffers = memory_plan.assign_lifetimes(layers, inputs, outputs, aliases)
    new = memory_plan.plan(buffers)
    plan = {**plan, **new, "cycles_estimate": cycles, "live": memory_plan.live_bytes(buffers, len(layers)),
            "weight_buffer_peak": memory_plan.plan_weight_buffer(layers, weight_buffer)}
    return tiling.Built(layers, aliases), plan


HOIST_DISTANCE = 6             # layers a weight transfer may move ahead of its consumer


def _started_earlier(trial, k):
    """The trial, then the trial with its transfer at index k started 1..HOIST_DISTANCE
    layers earlier: a decode the previous layer cannot hide may hide behind a longer
    layer before it (its weight buffer is then live longer)."""
    yield trial
    if trial[k].kind not in ("DMA", "DMA_DECODE"):
        return
    rest = trial[:k] + trial[k + 1:]
    for j in range(k - 1, max(k - 1 - HOIST_DISTANCE, 0), -1):
        if rest[j - 1].kind not in ("DMA", "DMA_DECODE"):  # behind another transfer nothing is hidden
            yield rest[:j] + [trial[k]] + rest[j:]


def _hoist_transfers(layers, inputs, outputs, npu, aliases, peak, cycles):
    """Start weight transfers (DMA, DMA_DECODE) earlier, behind a layer that hides more of
    them (the cycle model hides a transfer behind the op before it), where the plan's
    peak does not grow. The buffer is live from one step before its transfer on."""
    from . import memory_plan, tiling
    layers = list(layers)
    k = len(layers) - 1
    while k > 0:
        layer = layers[k]
        if layer.kind not in ("DMA", "DMA_DECODE") or not layer.inputs[0].buffer.is_const:
            k -= 1
            continue
        rest = layers[:k] + layers[k + 1:]
        best = None
        for j in range(k - 1, max(k - 1 - HOIST_DISTANCE, 0), -1):
            if rest[j - 1].kind in ("DMA", "DMA_DECODE"):
                continue  # behind another transfer nothing is hidden
            trial = rest[:j] + [layer] + rest[j:]
            c = tiling.estimate_cycles(trial, npu)
            if c >= (best[0] if best else cycles):
                continue
            p = memory_plan.plan(memory_plan.assign_lifetimes(trial, inputs, outputs, aliases))["peak"]
            if p <= peak and memory_plan.plan_weight_buffer(trial) <= npu.get("weight_buffer_capacity", 0):
                best = (c, trial)
        if best is not None:
            cycles, layers = best
        k -= 1
    return layers, cycles


def stage_packed_dense(layer, ranges=None):
    """DMA_DECODE (packed dense) + the layer on the dense loops, per output-channel chunk
    (whole when ranges is None): each chunk's tables travel in its stream."""
    from .layers import Buffer, Layer, View
    sw = layer.sparse
    co_all, taps, inner = sw.w.shape
    depthwise = layer.kind == "DEPTHWISE_CONV_2D_SPARSE"
    channel_param = 5 if layer.kind == "FULLY_CONNECTED_SPARSE" else 11
    n_tables = 2 + (sw.bias is not None)
    out = []
    for begin, end in ranges or [(0, co_all)]:
        co = end - begin
        packed = sw.stream(begin, end)
        name = layer.inputs[1].name + ("" if ranges is None else f"[{begin}:{end}]")
        size = SPARSE_HEADER + 12 * co + co * taps * inner
        src = View(name + "#rc", (len(packed),), "int8", 0, Buffer(name + "#rc", len(packed), packed, align=1))
        staged = View(name + "@sram", (size,), "int8", 0, Buffer(name + "@sram", size, prefetch=True))
        out.append(Layer("DMA_DECODE", [src], [staged],
                         [DEC_MODE_PACKED_DENSE, co, taps, inner, 0, int(sw.bias is not None), int(depthwise)],
                         layer.source, 0, {"dma_for": layer.kind, "codec": "range",
                                           "raw_bytes": co * taps * inner + 4 * co * n_tables,
                                           "compressed_bytes": len(packed), "decoded_bytes": size}))
        params = list(layer.params)
        params[channel_param:channel_param + 2] = [begin, end]
        params += [1]  # SPARSE_P_DENSE / SPFC_P_DENSE
        info = {**layer.info, "channels": [begin, end]} if ranges is not None and len(ranges) > 1 else layer.info
        out.append(replace(layer, inputs=[layer.inputs[0], staged], params=params,
                           macs=pixels_of(layer) * co * taps * inner, sparse=None, info=info))
    return out
