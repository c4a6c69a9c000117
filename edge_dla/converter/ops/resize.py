"""RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR (int8, values keep the input's quantization
as in TFLM, which ignores the output's)."""
import numpy as np

from ..check import require
from ..layers import Layer, lowering
from .shapes import operand


def _sizes(low, op):
    g = low.graph
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    require(len(x.shape) == 4 and len(y.shape) == 4, "expects 4-D input and output (TFLM requires it)", op)
    size = [int(v) for v in np.asarray(low.const_data(op.inputs[1])).reshape(-1)]
    require(len(size) == 2, f"size has {len(size)} values, expected 2", op)
    require((y.shape[0], y.shape[3]) == (x.shape[0], x.shape[3]) and tuple(size) == tuple(y.shape[1:3]),
            f"output shape {list(y.shape)} != resized {[x.shape[0], *size, x.shape[3]]}", op)
    align, half = bool(op.options.get("align_corners", False)), bool(op.options.get("half_pixel_centers", False))
    return x, y, align, half


def nearest_sources(in_size, out_size, align_corners, half_pixel_centers):
    """TFLM GetNearestNeighbor for every output index, in float32 like the C++ code."""
    f32 = np.float32
    if align_corners and out_size > 1:
        scale = f32(in_size - 1) / f32(out_size - 1)
    else:
        scale = f32(in_size) / f32(out_size)
    offset = f32(0.5 if half_pixel_centers else 0.0)
    pos = (np.arange(out_size).astype(f32) + offset) * scale  # float32 arithmetic throughout
    if align_corners:  # TfLiteRound: halves away from zero (pos >= 0; exact in float64)
        src = np.floor(pos.astype(np.float64) + 0.5)
    else:
        src = np.floor(pos)
    src = np.minimum(src.astype(np.int64), in_size - 1)
    if half_pixel_centers:
        src = np.maximum(src, 0)
    return src.astype(np.int32)


@lowering("RESIZE_NEAREST_NEIGHBOR")
def lower_resize_nearest(low, op):
    x, y, align, half = _sizes(low, op)
    rows = nearest_sources(x.shape[1], y.shape[1], align, half)
    cols = nearest_sources(x.shape[2], y.shape[2], align, half)
    return Layer("RESIZE_NEAREST_NEIGHBOR", [operand(low, x.index), low.constant(f"{y.name}/rows", rows),
                                             low.constant(f"{y.name}/cols", cols)],
                 [low.activation(y.index)], [], op.index, 0,
                 {"align_corners": align, "half_pixel_centers": half}, cpu=True)


def bilinear_scale_10(in_size, out_size, align_corners):
    """TFLM ResizeBilinearInteger's scale in 1/1024 units (integer, rounded)."""
    if align_corners and out_size > 1:
        return ((1 << 10) * (in_size - 1) + (out_size - 1) // 2) // (out_size - 1)
    return ((1 << 10) * in_size + out_size // 2) // out_size


@lowering("RESIZE_BILINEAR")
def lower_resize_bilinear(low, op):
    x, y, align, half = _sizes(low, op)
    require(not (align and half), "align_corners and half_pixel_centers together (TFLM refuses it)", op)
    params = [bilinear_scale_10(x.shape[1], y.shape[1], align), bilinear_scale_10(x.shape[2], y.shape[2], align),
              int(half)]
    return Layer("RESIZE_BILINEAR", [operand(low, x.index)], [low.activation(y.index)], params, op.index, 0,
                 {"align_corners": align, "half_pixel_centers": half}, cpu=True)
