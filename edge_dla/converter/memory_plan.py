"""Scratchpad planning: place every activation buffer for its lifetime.

Each buffer lives from the layer that writes it (or step 0 for model inputs)
to the last layer that reads it (or the end for model outputs). Two buffers
may share bytes only if their lifetimes do not intersect; a layer's inputs and
outputs are live at the same step, so kernels never read what they overwrite.

Placement is greedy first-fit: take buffers in some order and put each at the
lowest 16-byte-aligned offset that does not collide with an already placed
buffer whose lifetime intersects its own. The order matters, so several
orders are tried (largest first, longest-lived first, earliest first, the
product of size and lifetime) and the plan with the smallest peak is kept.
`check_plan` proves the result (tests run it on every plan).

Weights staged into the NPU weight buffer (Buffer.wbuf) are planned the same
way but apart, by `plan_weight_buffer`: they never take scratchpad bytes.
"""
from ..errors import AllocationError

ALIGN = 16


def aligned(n):
    return (n + ALIGN - 1) // ALIGN * ALIGN


def _record_uses(layers, buffers, selected):
    """Adds the selected buffers the layers read or write to `buffers` (by id) and
    widens their first/last step to every use; a prefetched buffer (a transfer that
    runs beside the layer before it) is live one step earlier."""
    for step, layer in enumerate(layers):
        for view in layer.inputs + layer.outputs:
            if view is None or not selected(view.buffer):
                continue
            buf = view.buffer
            if id(buf) not in buffers:
                buffers[id(buf)] = buf
                buf.first = buf.last = step
            buf.first, buf.last = min(buf.first, step), max(buf.last, step)
    for buf in buffers.values():
        if buf.prefetch:
            buf.first = max(buf.first - 1, 0)


def assign_lifetimes(layers, inputs, outputs, aliases=()):
    """Set first/last step on every scratchpad buffer; returns the buffers in first-use order.

    `aliases` are (buffer, root) pairs: the buffer is written where the root
    lies (a cascade's output over the input it consumes, see tiling.py); the
    root then spans both lifetimes and reserves the larger size.
    """
    buffers = {}
    end = max(len(layers) - 1, 0)
    for view in inputs:
        buffers.setdefault(id(view.buffer), view.buffer)
        view.buffer.first, view.buffer.last = 0, 0
    _record_uses(layers, buffers, lambda b: not b.is_const and not b.external and not b.wbuf)
    for view in outputs:
        buffers.setdefault(id(view.buffer), view.buffer)
        if view.buffer.first is None:
            view.buffer.first = 0
        view.buffer.last = end
    for buf in buffers.values():
        buf.root, buf.plan_bytes = None, buf.nbytes
    for buf, root in aliases:
        if id(buf) in buffers and id(root) in buffers:
            while root.root is not None:  # a cascade over a cascade's output over the input
                root = root.root
            buf.root = root
            root.first, root.last = min(root.first, buf.first), max(root.last, buf.last)
            root.plan_bytes = max(root.plan_bytes, buf.nbytes)
    return list(buffers.values())


def size(buf):
    """Bytes the planner reserves for a buffer."""
    return aligned(buf.plan_bytes if buf.plan_bytes is not None else buf.nbytes)


def _overlaps_in_time(a, b):
    return a.first <= b.last and b.first <= a.last


def _place(order):
    placed = []
    offsets = {}
    for buf in order:
        live = sorted((offsets[id(p)], offsets[id(p)] + size(p)) for p in placed
                      if _overlaps_in_time(p, buf))
        offset = 0
        for start, stop in live:
            if offset + size(buf) <= start:
                break
            offset = max(offset, stop)
        offsets[id(buf)] = offset
        placed.append(buf)
    peak = max((offsets[id(b)] + size(b) for b in order), default=0)
    return peak, offsets


ORDERS = {
    "largest first": lambda b: (-b.nbytes, b.first),
    "longest lived first": lambda b: (-(b.last - b.first), -b.nbytes),
    "earliest first": lambda b: (b.first, -b.nbytes),
    "size x lifetime": lambda b: (-b.nbytes * (b.last - b.first + 1), b.first),
}


def plan(buffers, capacity=None):
    """Assign offsets; returns {'peak': bytes, 'strategy': name}. Raises AllocationError."""
    roots = [b for b in buffers if b.root is None]
    best = None
    for name, key in ORDERS.items():
        peak, offsets = _place(sorted(roots, key=key))
        if best is None or peak < best[0]:
            best = (peak, offsets, name)
    peak, offsets, name = best
    for buf in roots:
        buf.offset = offsets[id(buf)]
    for buf in buffers:
        if buf.root is not None:
            buf.offset = buf.root.offset
    check_plan(roots)
    if capacity is not None and peak > capacity:
        raise AllocationError(f"the model needs {peak} bytes of scratchpad but the NPU has {capacity}; "
                              f"convert with scratchpad_bytes >= {peak}")
    return {"peak": peak, "strategy": name}


def plan_weight_buffer(layers, capacity=None):
    """Place the weight-buffer tensors (Buffer.wbuf) of a layer list; returns the peak.
    A staged chunk is live from the layer before its transfer (the transfer runs
    beside that layer) to its last reader, so chunk k+1 is decoded into other bytes
    while chunk k is read: double buffering falls out of the lifetimes. Raises
    AllocationError beyond `capacity`."""
    buffers = {}
    _record_uses(layers, buffers, lambda b: b.wbuf)
    for buf in buffers.values():
        buf.root, buf.plan_bytes = None, buf.nbytes
    if not buffers:
        return 0
    peak, offsets = min((_place(sorted(buffers.values(), key=key)) for key in ORDERS.values()),
                        key=lambda r: r[0])
    for buf in buffers.values():
        buf.offset = offsets[id(buf)]
    check_plan(list(buffers.values()))
    if capacity is not None and peak > capacity:
        raise AllocationError(f"the staged weights need {peak} bytes of NPU weight buffer but it has {capacity}")
    return peak


def check_plan(buffers):
    """Raise AssertionError if two buffers that are live at the same step share bytes."""
    for i, a in enumerate(buffers):
        assert a.offset is not None and a.offset % ALIGN == 0, f"{a.name} not placed/aligned"
        for b in buffers[i + 1:]:
            if _overlaps_in_time(a, b):
                assert a.offset + size(a) <= b.offset or b.offset + size(b) <= a.offset, \
                    f"{a.name} and {b.name} overlap while both live"


def live_bytes(buffers, steps):
    """Bytes of scratchpad live at each step (the memory timeline inspect shows)."""
    live = [0] * steps
    for buf in buffers:
        if buf.root is not None:
            continue
        for step in range(buf.first, min(buf.last, steps - 1) + 1):
            live[step] += size(buf)
    return live
