"""The scratchpad planner: no live buffers overlap, and peaks beat the peers."""
import pytest

import edge_dla
from conftest import RUNNABLE, model_bytes
from edge_dla.converter import memory_plan
from edge_dla.converter.layers import Buffer

# Vela 5.2.0 SRAM bytes (ethos-u55-128, default config) from ../shared/ANCHORS.md.
VELA_SRAM = {"micro_speech_quantized": 5968, "kws_ref_model": 22192, "vww_96_int8": 74480,
             "pretrainedResnet_quant": 51840, "ad01_int8": 768, "person_detect": 74480,
             "hello_world_int8": 1504}


def _buf(name, nbytes, first, last):
    return Buffer(name, nbytes, first=first, last=last)


def test_buffers_reuse_space_after_they_die():
    a, b, c = _buf("a", 100, 0, 1), _buf("b", 100, 1, 2), _buf("c", 100, 2, 3)
    result = memory_plan.plan([a, b, c])
    assert a.offset == c.offset  # a is dead when c is born
    assert result["peak"] == 2 * 112


def test_checker_catches_overlap():
    a, b = _buf("a", 64, 0, 2), _buf("b", 64, 1, 3)
    a.offset = b.offset = 0
    with pytest.raises(AssertionError, match="overlap"):
        memory_plan.check_plan([a, b])


@pytest.mark.parametrize("name", RUNNABLE)
def test_peak_at_most_vela(name, models_dir):
    peak = edge_dla.inspect(edge_dla.convert(model_bytes(name)))["scratchpad_bytes"]
    assert peak <= VELA_SRAM[name]


def test_aliases_share_their_root_and_reserve_the_larger_size():
    """A cascade's output written over the input it consumes (and a second cascade
    over that output): one region, sized for the largest, live for all lifetimes."""
    from edge_dla.converter.layers import Layer, View

    def view(buf):
        return View(buf.name, (buf.nbytes,), "int8", 0, buf)

    x, t, u, other = Buffer("x", 300), Buffer("t", 200), Buffer("u", 500), Buffer("o", 64)
    layers = [Layer("ADD", [view(x), view(other)], [view(t)], [], 0),
              Layer("ADD", [view(t), view(other)], [view(u)], [], 1)]
    buffers = memory_plan.assign_lifetimes(layers, [view(x)], [view(u)], [(t, x), (u, t)])
    memory_plan.plan(buffers)
    assert t.root is x and u.root is x and t.offset == u.offset == x.offset
    assert x.plan_bytes == 500 and (x.first, x.last) == (0, 1)
    assert memory_plan.live_bytes(buffers, 2)[1] == memory_plan.aligned(500) + memory_plan.aligned(64)


def test_weight_buffer_is_planned_apart_and_double_buffered():
    """Chunks staged in the NPU weight buffer take no scratchpad bytes; a chunk is live
    from the layer its transfer runs beside, so consecutive chunks alternate halves."""
    from edge_dla.converter.layers import Layer, View

    def view(buf):
        return View(buf.name, (buf.nbytes,), "int8", 0, buf)

    x, y = Buffer("x", 256), Buffer("y", 256)
    chunks = [Buffer(f"w{k}", 1000, prefetch=True, wbuf=True) for k in range(4)]
    flash = [Buffer(f"f{k}", 900, data=b"\0" * 900) for k in range(4)]
    layers = []
    for k in range(4):
        layers += [Layer("DMA_DECODE", [view(flash[k])], [view(chunks[k])], [0], 0),
                   Layer("FULLY_CONNECTED", [view(x), view(chunks[k])], [view(y)], [], 0)]
    scratch = memory_plan.plan(memory_plan.assign_lifetimes(layers, [view(x)], [view(y)]))
    assert scratch["peak"] == 2 * 256  # the chunks are not in the scratchpad
    peak = memory_plan.plan_weight_buffer(layers)
    assert peak == 2 * memory_plan.aligned(1000)
    assert chunks[0].offset == chunks[2].offset != chunks[1].offset == chunks[3].offset
    with pytest.raises(edge_dla.AllocationError, match="weight buffer"):
        memory_plan.plan_weight_buffer(layers, capacity=peak - 16)
