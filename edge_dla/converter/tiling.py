"""Fitting a model into the NPU's scratchpad.

Three tools, cheapest first:

1. Weight staging. Every weighted layer streams its filter from flash into a
   weight buffer in the scratchpad (a DMA op before it). A filter larger than
   the chunk budget is split by output channels: DMA chunk k, compute output
   channels of chunk k, and so on. Costs one op overhead per chunk.
2. Row stripes with cascading (Vela's cascading, MCUNetV2's patches). A
   segment of spatial layers (conv, depthwise, pool, add) is run stripe by
   stripe of its output rows; each stripe computes only the rows of every
   intermediate tensor it needs (halo rows are recomputed), so intermediates
   never exist whole. Costs the recomputed MACs, refetched weights and op
   overheads. Stripes are views onto row ranges (NHWC rows are contiguous),
   so the kernels are unchanged: only padding is adjusted per stripe.
3. Giving up: AllocationError naming the smallest scratchpad that works.

The search estimates peaks with live-byte sums (a lower bound of the real
plan) and cycles with the same model as the C core (sim.c), then confirms the
choice with the real planner.
"""
from dataclasses import replace

import numpy as np

from ..errors import AllocationError
from . import memory_plan, weights
from .layers import Buffer, Layer, View

WEIGHTED = {"CONV_2D": 1, "DEPTHWISE_CONV_2D": 1, "FULLY_CONNECTED": 1}  # filter operand index
CHANNEL_PARAMS = {"CONV_2D": 11, "DEPTHWISE_CONV_2D": 11, "FULLY_CONNECTED": 5}
SPATIAL = {"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D", "ADD"}
for _dense, _sparse in weights.SPARSE_KINDS.items():  # sparse layers stage and stripe alike
    WEIGHTED[_sparse], CHANNEL_PARAMS[_sparse] = WEIGHTED[_dense], CHANNEL_PARAMS[_dense]
    if _dense in SPATIAL:
        SPATIAL.add(_sparse)
# Weight chunk budgets tried, in bytes: None stages whole filters, 0 stages
# nothing (the MAC array streams weights from flash through its own small FIFO,
# outside the scratchpad; the transfer is then not hidden behind the previous
# layer).
CHUNK_BUDGETS = [None, 32768, 16384, 8192, 4096, 2048, 1024, 512, 0]
STRIPE_COUNTS = [2, 3, 4, 5, 6, 8, 10, 12, 16, 24, 32, 48, 64, 96]
ELEMENTWISE_PER_CYCLE = 16  # sim.c's EDLA_ELEMENTWISE_PER_CYCLE
# sim.c's CPU op model: elements x cpu_cycles_per_element[op] + EDLA_CPU_OP_OVERHEAD
CPU_OP_OVERHEAD, CPU_DEFAULT_CYCLES = 32, 2
CPU_CYCLES_PER_ELEMENT = {"MUL": 10, "SUB": 16, "SQUARED_DIFFERENCE": 18, "MAXIMUM": 3, "MINIMUM": 3,
                          "PRELU": 10, "LUT": 2, "QUANTIZE": 20, "DEQUANTIZE": 4, "REDUCE_SUM": 2,
                          "REDUCE_MAX": 2}
CPU_CYCLES_PER_ELEMENT.update({"PAD": 2, "CONCATENATION": 2, "TRANSPOSE": 3, "STRIDED_SLICE": 3, "GATHER": 2,
                               "RESIZE_NEAREST_NEIGHBOR": 2, "RESIZE_BILINEAR": 12})


# ---- 1. weight staging ------------------------------------------------------------

def _chunks(layer, budget):
    """Output-channel ranges whose filter bytes fit the budget (depthwise: whole multipliers)."""
    filt = layer.inputs[WEIGHTED[layer.kind]]
    depthwise = layer.kind in ("DEPTHWISE_CONV_2D", "DEPTHWISE_CONV_2D_SPARSE")
    channels = filt.shape[-1] if depthwise else filt.shape[0]
    per_channel = layer.sparse.max_channel_bytes() if layer.sparse else filt.buffer.nbytes // channels
    step = layer.params[10] if depthwise else 1  # depth multiplier
    if budget is None:
        size = channels
    else:
        size = max(step, budget // per_channel // step * step)
    return [(c, min(c + size, channels)) for c in range(0, channels, size)]


def _filter_chunk(filt, kind, begin, end):
    data = np.frombuffer(filt.buffer.data, np.int8).reshape(filt.shape)
    part = data[..., begin:end] if kind == "DEPTHWISE_CONV_2D" else data[begin:end]
    part = np.ascontiguousarray(part)
    return part.tobytes(), part.shape


def stage_weights(layers, budget):
    """Insert a DMA op before each weighted layer (per channel chunk)."""
    out = []
    for layer in layers:
        if layer.kind not in WEIGHTED or (budget == 0 and not layer.sparse):
            out.append(layer)
            continue
        if layer.sparse:  # sparse weights always go through the decoder (budget 0: small chunks)
            out += weights.stage_sparse(layer, _chunks(layer, weights.sparse_budget(budget)))
            continue
        slot = WEIGHTED[layer.kind]
        filt = layer.inputs[slot]
        if not filt.buffer.is_const:  # already staged
            out.append(layer)
            continue
        ranges = _chunks(layer, budget)
        total = ranges[-1][1]
        for begin, end in ranges:
            data, shape = (filt.buffer.data, filt.shape) if len(ranges) == 1 else \
                _filter_chunk(filt, layer.kind, begin, end)
            src = View(f"{filt.name}[{begin}:{end}]", shape, "int8", 0, Buffer(filt.name, len(data), data))
            staged = View(src.name + "@sram", shape, "int8", 0,
                          Buffer(src.name + "@sram", len(data), prefetch=True))
            packed = weights.dense_stream(data, weights.filter_geometry(shape))
            if packed is None:
                out.append(Layer("DMA", [src], [staged], [], layer.source, 0, {"dma_for": layer.kind}))
            else:
                src = View(src.name + "#rc", (len(packed),), "int8", 0, Buffer(src.name + "#rc", len(packed), packed, align=1))
                out.append(Layer("DMA_DECODE", [src], [staged], [weights.DEC_MODE_DENSE], layer.source, 0,
                                 {"dma_for": layer.kind, "codec": "range", "raw_bytes": len(data),
                                  "compressed_bytes": len(packed)}))
            params = list(layer.params)
            params[CHANNEL_PARAMS[layer.kind]:CHANNEL_PARAMS[layer.kind] + 2] = [begin, end]
            inputs = list(layer.inputs)
            inputs[slot] = staged
            macs = layer.macs * (end - begin) // total
            out.append(replace(layer, inputs=inputs, params=params, macs=macs,
                               info={**layer.info, "channels": [begin, end]} if len(ranges) > 1 else layer.info))
    return out


# ---- 2. row stripes -----------------------------------------------------------------

def _rows_window(layer):
    """(stride, pad_top, extent) of a spatial layer along H; ADD maps rows 1:1."""
    p = layer.params
    if layer.kind in ("CONV_2D", "DEPTHWISE_CONV_2D", "CONV_2D_SPARSE", "DEPTHWISE_CONV_2D_SPARSE"):
        kh = layer.inputs[1].shape[1]
        return p[0], p[4], (kh - 1) * p[2] + 1
    if layer.kind in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        return p[0], p[4], p[2]
    return 1, 0, 1


def _is_rows(view):
    return view is not None and not view.buffer.is_const and len(view.shape) == 4


def _row_bytes(view):
    return int(np.prod(view.shape[2:])) * (4 if view.dtype == "int32" else 1)


def _needed_rows(layer, view, lo, hi):
    """Rows of input `view` that output rows [lo, hi) of `layer` read."""
    h = view.shape[1]
    if layer.kind == "ADD":
        return (0, 1) if h == 1 else (lo, hi)
    stride, pad, extent = _rows_window(layer)
    return max(lo * stride - pad, 0), min((hi - 1) * stride - pad + extent, h)


def is_global_pool(layer):
    """An AVERAGE_POOL_2D over the whole of a batch-1 input, without padding: it can
    sum row stripes and divide once (POOL_SUM ... POOL_MEAN)."""
    if layer.kind != "AVERAGE_POOL_2D":
        return False
    x, y, p = layer.inputs[0], layer.outputs[0], layer.params
    return (len(x.shape) == 4 and x.shape[0] == 1 and x.shape[1] > 1 and tuple(y.shape[1:3]) == (1, 1)
            and (p[2], p[3]) == tuple(x.shape[1:3]) and p[4] == 0 and p[5] == 0)


def stripe_rows(seg):
    """Rows the stripes of a segment split: its last output's, or a global pool's input's."""
    last = seg[-1]
    return (last.inputs[0] if is_global_pool(last) else last.outputs[0]).shape[1]


def segment_ok(layers, i, j, consumers, model_outputs):
    """Can layers[i..j] run as one striped cascade?"""
    seg = layers[i:j + 1]
    if any(l.kind not in SPATIAL or not _is_rows(l.outputs[0]) or l.outputs[0].shape[0] != 1 for l in seg):
        return False
    if any(v is not None and not v.buffer.is_const and not _is_rows(v) for l in seg for v in l.inputs):
        return False
    inside = set(range(i, j + 1))
    for l in seg[:-1]:  # intermediate results must not escape the segment
        buf = l.outputs[0].buffer
        if id(buf) in model_outputs or not set(consumers.get(id(buf), ())) <= inside:
            return False
    return True


def stripe_segment(seg, n, trace=None):
    """The layers of one cascade, run as n row stripes of its last layer's output
    (or, when it ends in a global average pool, of that pool's input)."""
    pool = seg[-1] if is_global_pool(seg[-1]) else None
    body = seg[:-1] if pool else seg
    final = pool.inputs[0] if pool else seg[-1].outputs[0]
    height = final.shape[1]
    bounds = [round(k * height / n) for k in range(n + 1)]
    out = []
    if pool:
        channels = final.shape[3]
        acc = View(f"{final.name}#sum", (channels,), "int32", 0, Buffer(f"{final.name}#sum", 4 * channels))
    first = True
    for s in range(n):
        lo, hi = bounds[s], bounds[s + 1]
        if lo == hi:
            continue
        need = {id(final.buffer): (lo, hi)}
        for layer in reversed(body):
            a, b = need[id(layer.outputs[0].buffer)]
            for v in layer.inputs:
                if _is_rows(v):
                    r = _needed_rows(layer, v, a, b)
                    old = need.get(id(v.buffer))
                    need[id(v.buffer)] = r if old is None else (min(old[0], r[0]), max(old[1], r[1]))
        if trace is not None:
            trace.append((lo, hi, dict(need)))
        held = {}  # buffer id -> (stripe buffer, first row it holds) for intermediates
        for layer in body:
            out.append(_stripe_layer(layer, need, held, None if pool else final, s))
        if pool:
            buf, row0 = held.get(id(final.buffer), (final.buffer, 0))
            out.append(Layer("POOL_SUM", [_slice(final, buf, row0, lo, hi)], [acc], [int(first)],
                             pool.source, 0, {"rows": [lo, hi]}))
        first = False
    if pool:
        count = final.shape[1] * final.shape[2]
        out.append(Layer("POOL_MEAN", [acc], [pool.outputs[0]], [count, pool.params[6], pool.params[7]],
                         pool.source))
    return out


def _slice(view, buf, first_row, lo, hi):
    """View of rows [lo, hi) of `view`'s tensor, whose row `first_row` is at the start of buf."""
    shape = (view.shape[0], hi - lo) + tuple(view.shape[2:])
    return replace(view, shape=shape, buffer=buf,
                   byte_offset=(view.byte_offset if buf is view.buffer else 0) + (lo - first_row) * _row_bytes(view))


def _stripe_layer(layer, need, held, final, s):
    y = layer.outputs[0]
    a, b = need[id(y.buffer)]
    if final is not None and y.buffer is final.buffer:
        out_view = _slice(y, y.buffer, 0, a, b)
    else:
        buf = Buffer(f"{y.buffer.name}#s{s}", (b - a) * _row_bytes(y))
        held[id(y.buffer)] = (buf, a)
        out_view = _slice(y, buf, a, a, b)
    inputs = []
    for v in layer.inputs:
        if not _is_rows(v):
            inputs.append(v)
            continue
        lo, hi = _needed_rows(layer, v, a, b)
        buf, first = held.get(id(v.buffer), (v.buffer, 0))
        inputs.append(_slice(v, buf, first, lo, hi))
    params = list(layer.params)
    if layer.kind != "ADD":
        stride, pad, _ = _rows_window(layer)
        params[4] = max(pad - a * stride, 0)
    macs = layer.macs * (b - a) // y.shape[1]
    return replace(layer, inputs=inputs, outputs=[out_view], params=params, macs=macs,
                   info={**layer.info, "rows": [a, b]})


class Built(list):
    """A layer list plus the buffer aliases its plan must honour."""

    def __init__(self, layers, aliases=()):
        super().__init__(layers)
        self.aliases = list(aliases)


def _overlay(seg, n, consumers, model_outputs, index_range):
    """(output buffer, input buffer) if the cascade's full output may be written over
    its full input: every output row lands on input rows no later stripe reads,
    and the layer writing the output does not read that input itself."""
    last = seg[-1]
    if is_global_pool(last):
        return None
    out_view = last.outputs[0]
    trace = []
    stripe_segment(seg, n, trace)
    produced = {id(l.outputs[0].buffer) for l in seg}
    for view in seg[0].inputs:
        if not _is_rows(view) or id(view.buffer) in produced or id(view.buffer) in model_outputs:
            continue
        buf = view.buffer
        if not set(consumers.get(id(buf), ())) <= index_range or any(v is not None and v.buffer is buf
                                                                     for v in last.inputs):
            continue
        in_rows, out_rows = _row_bytes(view), _row_bytes(out_view)
        later = [need[id(buf)][0] for _, _, need in trace]
        if all(hi * out_rows <= min(later[s + 1:]) * in_rows for s, (_, hi, _) in enumerate(trace[:-1])):
            return out_view.buffer, buf
    return None


def apply_segments(layers, segments, consumers=None, model_outputs=()):
    """Replace each (i, j, n) segment of layers by its striped cascade; with consumer
    information, cascades overwrite the input they consume where that is safe."""
    out, aliases, i = [], [], 0
    starts = {seg[0]: seg for seg in segments}
    while i < len(layers):
        if i in starts:
            _, j, n = starts[i]
            out += stripe_segment(layers[i:j + 1], n)
            if consumers is not None:
                pair = _overlay(layers[i:j + 1], n, consumers, model_outputs, set(range(i, j + 1)))
                if pair:
                    aliases.append(pair)
            i = j + 1
        else:
            out.append(layers[i])
            i += 1
    return Built(out, aliases)


# ---- cost and peak estimates ----------------------------------------------------------

def estimate_cycles(layers, npu):
    """The C core's cycle model (sim.c), from shapes: what a run will measure."""
    return sum(layer_costs(layers, npu)[0])


def layer_costs(layers, npu):
    """Per layer: modelled cycles and DMA bytes, exactly as sim.c counts them."""
    cycles, dma_bytes = [], []
    previous = 0
    for layer in layers:
        cost, moved = _layer_cost(layer, npu, previous)
        cycles.append(cost)
        dma_bytes.append(moved)
        previous = cost
    return cycles, dma_bytes


def _layer_cost(layer, npu, previous):
    dma = sum(v.buffer.nbytes for v in layer.inputs if v is not None and v.buffer.is_const)
    if layer.kind in ("DMA", "DMA_DECODE"):  # hidden behind the previous layer, as in sim.c
        moved = layer.inputs[0].buffer.nbytes
        rate = npu["flash_bytes_per_cycle_q8" if layer.inputs[0].buffer.is_const else "ext_bytes_per_cycle_q8"]
        transfer = -(-moved * 256 // rate)
        if layer.kind == "DMA_DECODE":  # the decoder's output rate may be the limit
            transfer = max(transfer, -(-layer.outputs[0].buffer.nbytes // weights.DECODE_BYTES_PER_CYCLE))
        return max(transfer - previous, 0), moved
    if layer.cpu:  # on the CPU beside the NPU: no DMA, no NPU launch overhead
        elements = max(int(np.prod(v.shape)) for v in (layer.inputs[:1] + layer.outputs[:1]) if v is not None)
        return elements * CPU_CYCLES_PER_ELEMENT.get(layer.kind, CPU_DEFAULT_CYCLES) + CPU_OP_OVERHEAD, 0
    if layer.macs:
        compute = -(-layer.macs // npu["macs_per_cycle"])
    else:
        out = layer.outputs[0]
        compute = -(-int(np.prod(out.shape)) * (4 if out.dtype == "int32" else 1) // ELEMENTWISE_PER_CYCLE)
    return max(compute, -(-dma * 256 // npu["flash_bytes_per_cycle_q8"])) + npu["op_overhead_cycles"], dma


INPLACE = {"ADD": (0, 1), "SOFTMAX": (0,), "LUT": (0,)}  # kernels that may write over these inputs


def inplace_aliases(layers, outputs, taken=()):
    """(output buffer, input buffer) pairs for element-wise layers that can write over an
    input dying at that layer: same bytes, no broadcast, whole buffers."""
    last_use, first_use = {}, {}
    for k, layer in enumerate(layers):
        for v in layer.inputs + layer.outputs:
            if v is not None and not v.buffer.is_const:
                last_use[id(v.buffer)] = k
                first_use.setdefault(id(v.buffer), k)
    pinned = {id(v.buffer) for v in outputs} | {id(b) for pair in taken for b in pair}
    pairs = []
    for k, layer in enumerate(layers):
        y = layer.outputs[0] if layer.kind in INPLACE else None
        if y is None or id(y.buffer) in pinned or y.byte_offset or first_use[id(y.buffer)] != k:
            continue
        for slot in INPLACE[layer.kind]:
            x = layer.inputs[slot] if slot < len(layer.inputs) else None
            if (x is None or x.buffer.is_const or x.buffer.external or id(x.buffer) in pinned or x.byte_offset
                    or last_use[id(x.buffer)] != k or x.buffer.nbytes != y.buffer.nbytes
                    or int(np.prod(x.shape)) != x.buffer.nbytes or x.dtype != y.dtype):
                continue
            pairs.append((y.buffer, x.buffer))
            pinned |= {id(y.buffer), id(x.buffer)}
            break
    return pairs


def live_peak(layers, inputs, outputs):
    """Largest sum of live buffer sizes at any step: a lower bound of the planned peak."""
    buffers = memory_plan.assign_lifetimes(layers, inputs, outputs, getattr(layers, "aliases", ()))
    delta = np.zeros(len(layers) + 2, np.int64)
    for b in buffers:
        if b.root is not None:
            continue
        size = memory_plan.size(b)
        delta[b.first] += size
        delta[b.last + 1] -= size
    live = np.cumsum(delta)
    return int(live.max()), int(live.argmax())


# ---- the search ---------------------------------------------------------------------

class Fitter:
    def __init__(self, layers, inputs, outputs, npu):
        self.base, self.inputs, self.outputs, self.npu = layers, inputs, outputs, npu
        consumers = {}
        for k, layer in enumerate(layers):
            for v in layer.inputs:
                if v is not None and not v.buffer.is_const:
                    consumers.setdefault(id(v.buffer), []).append(k)
        model_outputs = {id(v.buffer) for v in outputs}
        self.consumers, self.model_outputs = consumers, model_outputs
        self.segment_ok = lambda i, j: segment_ok(layers, i, j, consumers, model_outputs)

    def build(self, segments, budget):
        striped = apply_segments(self.base, segments, self.consumers, self.model_outputs)
        staged = stage_weights(striped, budget)
        return Built(staged, striped.aliases + inplace_aliases(staged, self.outputs, striped.aliases))

    def evaluate(self, segments, budget):
        layers = self.build(segments, budget)
        peak, step = live_peak(layers, self.inputs, self.outputs)
        return peak, estimate_cycles(layers, self.npu), layers, step

    def candidates(self, segments, base_index):
        """Segments around base layer `base_index` that do not overlap chosen ones."""
        taken = {k for i, j, _ in segments for k in range(i, j + 1)}
        for i in range(base_index, max(base_index - 12, -1), -1):
            if i in taken:
                break
            for j in range(base_index, min(base_index + 12, len(self.base))):
                if j in taken:
                    break
                if i == j and self.base[i].kind == "ADD":
                    continue
                if not self.segment_ok(i, j):
                    continue
                height = stripe_rows(self.base[i:j + 1])
                for n in STRIPE_COUNTS:
                    if n <= height:
                        yield (i, j, n)

    def base_index_of(self, layers, step):
        """The base layer a step of the built layer list comes from."""
        target = layers[step] if layers[step].kind not in ("DMA", "DMA_DECODE") else layers[min(step + 1, len(layers) - 1)]
        for k, layer in enumerate(self.base):
            if layer.source == target.source:
                return k
        return None

    def fit(self, capacity):
        """(peak, cycles, layers, segments, budget) fitting `capacity`, preferring fewer
        cycles; or None."""
        best = None
        for budget in CHUNK_BUDGETS:
            peak, cycles, layers, _ = self.evaluate([], budget)
            if peak <= capacity and (best is None or cycles < best[1]):
                best = (peak, cycles, layers, [], budget)
        if best is None:
            best = self.stripe(capacity)
        return best if best[0] <= capacity else None

    def stripe(self, capacity, first_choices=12):
        """Greedily add striped segments around the peak until it fits `capacity` or
        nothing lowers it. Greed is myopic (a long cascade can lower the peak most
        yet block two shorter ones that fit), so the search restarts from each of
        the best few first segments and keeps the best final state."""
        budget = min(CHUNK_BUDGETS, key=lambda b: self.evaluate([], b)[:2])
        start = self.evaluate([], budget)
        if start[0] <= capacity:
            return (*start[:3], [], budget)
        # Distinct cascades, each with its best-ranked and its finest stripe count
        # (finer stripes lower the cascade's own peak, which a later step may need).
        best, finest = {}, {}
        for option in self._options([], start, capacity, budget):
            span = option[3][:2]
            best.setdefault(span, option)
            if span not in finest or option[3][2] > finest[span][3][2]:
                finest[span] = option
        spans = list(best)[:first_choices]
        firsts = [best[s] for s in spans] + [finest[s] for s in spans if finest[s] is not best[s]]
        finals = [self._greedy([cand], (p, c, ls, st), capacity, budget) for _, _, c, cand, p, ls, st in firsts]
        finals = finals or [(*start[:3], [])]
        best = min(finals, key=lambda f: (f[0] > capacity, f[1] if f[0] <= capacity else f[0], f[1]))
        return (*best, budget)

    def _options(self, segments, state, capacity, budget):
        """Candidate next segments that lower the peak: feasible ones first, cheapest
        among them; else the lowest peak."""
        peak, _, layers, step = state
        k = self.base_index_of(layers, step)
        options = []
        for cand in self.candidates(segments, k) if k is not None else ():
            p, c, ls, st = self.evaluate(segments + [cand], budget)
            if p < peak:
                options.append((p > capacity, c if p <= capacity else p, c, cand, p, ls, st))
        options.sort(key=lambda o: o[:3])
        return options

    def _greedy(self, segments, state, capacity, budget):
        while state[0] > capacity:
            options = self._options(segments, state, capacity, budget)
            if not options:
                break
            _, _, c, cand, p, ls, st = options[0]
            segments, state = segments + [cand], (p, c, ls, st)
        peak, cycles, layers, _ = state
        return peak, cycles, layers, segments


# ---- 3. spilling to external memory -------------------------------------------------

def _spill_once(layers, inputs, outputs, ext_used):
    """Move the largest buffer that is live but idle at the peak step to external
    memory for that idle stretch: DMA out after its last use before the peak, DMA
    back into a fresh buffer before its next use. Returns the new layer list, or
    None when no buffer can go."""
    _, step = live_peak(layers, inputs, outputs)
    pinned = {id(b) for pair in layers.aliases for b in pair} | {id(v.buffer) for v in outputs}
    uses = {}
    for k, layer in enumerate(layers):
        for v in layer.inputs + layer.outputs:
            if v is not None and not v.buffer.is_const and not v.buffer.external:
                uses.setdefault(id(v.buffer), (v.buffer, []))[1].append(k)
    for v in inputs:
        uses.setdefault(id(v.buffer), (v.buffer, []))[1].insert(0, -1)  # the host writes it before step 0
    best = None
    for buf, steps in uses.values():
        before = [k for k in steps if k < step]
        after = [k for k in steps if k > step]
        if not before or not after or step in steps or id(buf) in pinned or buf.prefetch:
            continue
        if best is None or (buf.nbytes, after[0] - before[-1]) > (best[0].nbytes, best[2] - best[1]):
            best = (buf, before[-1], after[0])
    if best is None:
        return None
    buf, last_use, next_use = best
    ext = Buffer(f"{buf.name}@ext", buf.nbytes, external=True, offset=ext_used)
    back = Buffer(f"{buf.name}@reload", buf.nbytes)
    whole = lambda b: View(b.name, (b.nbytes,), "int8", 0, b)
    source = layers[max(last_use, 0)].source
    out = list(layers[:last_use + 1])
    out.append(Layer("DMA", [whole(buf)], [whole(ext)], [], source, 0, {"spill": "out"}))
    out += layers[last_use + 1:next_use]
    out.append(Layer("DMA", [whole(ext)], [whole(back)], [], layers[next_use].source, 0, {"spill": "in"}))
    for layer in layers[next_use:]:
        swap = lambda v: replace(v, buffer=back) if v is not None and v.buffer is buf else v
        out.append(replace(layer, inputs=[swap(v) for v in layer.inputs], outputs=[swap(v) for v in layer.outputs]))
    return Built(out, layers.aliases)


def spill(layers, inputs, outputs, capacity):
    """Spill idle buffers until the estimated peak fits (or nothing more can go)."""
    ext_used = 0
    layers = Built(layers, getattr(layers, "aliases", ()))
    while live_peak(layers, inputs, outputs)[0] > capacity:
        spilled = _spill_once(layers, inputs, outputs, ext_used)
        if spilled is None:
            break
        ext_used = max((v.buffer.offset + memory_plan.aligned(v.buffer.nbytes) for l in spilled
                        for v in l.outputs if v is not None and v.buffer.external), default=0)
        layers = spilled
    return layers


OPTIMISE = ("balanced", "performance", "size")


def fit_to_scratchpad(layers, inputs, outputs, npu, capacity, optimise="balanced"):
    """Layers (weights staged, maybe striped) whose real plan fits `capacity`, and that plan.

    optimise: "balanced" (default) takes the smallest scratchpad reachable without
    recomputing anything (weight chunking only), and tiles only if that does not
    fit; "performance" takes the fewest cycles that fit; "size" the smallest
    scratchpad.
    """
    if optimise not in OPTIMISE:
        raise ValueError(f"optimise must be one of {', '.join(OPTIMISE)}, got {optimise!r}")
    fitter = Fitter(layers, inputs, outputs, npu)
    if optimise == "balanced":
        options = [(fitter.evaluate([], budget), budget) for budget in CHUNK_BUDGETS]
        (peak, cycles, staged, _), budget = min(options, key=lambda o: o[0][:2])
        result = _planned(fitter, staged, [], budget, cycles)
        if result[1]["peak"] <= capacity:
            return result
    if optimise == "size":
        capacity = min(capacity, minimum_scratchpad(fitter))
    target = capacity
    for _ in range(6):  # the estimate is a lower bound: tighten until the real plan fits
        found = fitter.fit(target)
        if found is None:
            break
        _, cycles, staged, segments, budget = found
        result = _planned(fitter, staged, segments, budget, cycles)
        if result[1]["peak"] <= capacity:
            return result
        target -= result[1]["peak"] - capacity
    # Tiling alone cannot fit: spill idle activations to external memory (counted DMA).
    _, _, layers_best, segments, budget = fitter.stripe(capacity)
    target = capacity
    for _ in range(6):
        spilled = spill(layers_best, inputs, outputs, target)
        result = _planned(fitter, spilled, segments, budget, estimate_cycles(spilled, npu))
        if result[1]["peak"] <= capacity:
            return result
        target -= result[1]["peak"] - capacity
        if target <= 0:
            break
    smallest = minimum_scratchpad(fitter)
    raise AllocationError(f"the model does not fit a {capacity:,}-byte scratchpad even with weight "
                          f"chunking, row-stripe tiling and spilling to external memory; the smallest "
                          f"that works is {smallest:,} bytes (convert with scratchpad_bytes >= {smallest})")


def _planned(fitter, staged, segments, budget, cycles):
    buffers = memory_plan.assign_lifetimes(staged, fitter.inputs, fitter.outputs,
                                           getattr(staged, "aliases", ()))
    plan = memory_plan.plan(buffers)
    external = max((v.buffer.offset + v.buffer.nbytes for layer in staged for v in layer.outputs
                    if v is not None and v.buffer.external), default=0)
    plan.update(segments=[list(seg) for seg in segments], weight_chunk=budget, cycles_estimate=cycles,
                live=memory_plan.live_bytes(buffers, len(staged)), external_bytes=external)
    return staged, plan


def minimum_scratchpad(fitter):
    """Smallest real planned peak reachable: tiling pushed towards zero, then spills."""
    layers = spill(fitter.stripe(0)[2], fitter.inputs, fitter.outputs, 0)
    return memory_plan.plan(memory_plan.assign_lifetimes(layers, fitter.inputs, fitter.outputs,
                                                         layers.aliases))["peak"]
