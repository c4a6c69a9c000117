"""Small ready-made int8 models (the README demo's default model and end-to-end tests)."""

from __future__ import annotations

import numpy as np

from .tflite_builder import ModelBuilder, conv_out_size

KWS_LABELS = ("silence", "unknown", "yes", "no", "up", "down", "left", "right", "on", "off",
              "stop", "go")


# ---- float reference ops used only to calibrate activation ranges ----------------------
def _same_pad(x, kh, kw, sh, sw):
    """Zero-pad NHWC x the way TFLite SAME padding does (extra row/col at the end)."""
    h, w = x.shape[1:3]
    ph = max((conv_out_size(h, kh, sh, 1, "SAME") - 1) * sh + kh - h, 0)
    pw = max((conv_out_size(w, kw, sw, 1, "SAME") - 1) * sw + kw - w, 0)
    return np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))


def _patches(x, kh, kw, sh, sw):
    """[N,Ho,Wo,KH,KW,C] windows of an already padded NHWC tensor."""
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))
    return win[:, ::sh, ::sw].transpose(0, 1, 2, 4, 5, 3)


def _conv(x, w, b, stride):  # w: [O,KH,KW,I]
    p = _patches(_same_pad(x, w.shape[1], w.shape[2], stride, stride), w.shape[1], w.shape[2],
                 stride, stride)
    return np.einsum("nhwijc,oijc->nhwo", p, w) + b


def _depthwise(x, w, b):  # w: [1,KH,KW,C], stride 1
    p = _patches(_same_pad(x, w.shape[1], w.shape[2], 1, 1), w.shape[1], w.shape[2], 1, 1)
    return np.einsum("nhwijc,ijc->nhwc", p, w[0]) + b


# ---- quantization helpers ---------------------------------------------------------------
def _quantize_weights(w, axis):
    """Symmetric per-channel int8 weights (zp 0), returned with scales and dequantized floats."""
    axes = tuple(i for i in range(w.ndim) if i != axis)
    scales = np.atleast_1d(np.max(np.abs(w), axis=axes) / 127.0).astype(np.float32)
    shape = [-1 if i == axis else 1 for i in range(w.ndim)]
    q = np.clip(np.round(w / scales.reshape(shape)), -127, 127).astype(np.int8)
    return q, scales, q * scales.reshape(shape).astype(np.float64)


def _act_qparams(values, relu):
    """Asymmetric int8 (scale, zp) covering the calibrated range, as the TFLite converter does."""
    lo = 0.0 if relu else min(float(np.percentile(values, 0.1)), 0.0)
    hi = max(float(np.percentile(values, 99.9)), 1e-6)
    scale = float(np.float32((hi - lo) / 255.0))  # as stored, so bias scales derive from it
    return scale, int(np.clip(round(-128 - lo / scale), -128, 127))


def _bias(b, in_scale, w_scales):
    """int32 bias at scale input_scale * weight_scale[c]; also returns its dequantized value."""
    scales = (np.float64(np.float32(in_scale)) * w_scales.astype(np.float64)).astype(np.float32)
    q = np.round(b / scales).astype(np.int32)
    return q, scales, q * scales.astype(np.float64)


def ds_cnn_kws(seed: int = 0, blocks: int = 4, channels: int = 64) -> bytes:
    """A DS-CNN keyword-spotting int8 model ([1,49,10,1] MFCCs -> 12 class probabilities).

    Weights are random (He-initialised) but every activation's scale and zero point
    is calibrated on random inputs, so outputs vary with the input like a real model's.
    """
    rng = np.random.default_rng(seed)
    in_scale, in_zp = 0.25, 0  # MFCC features span about [-32, 32)
    calib = (rng.integers(-128, 128, (16, 49, 10, 1)) - in_zp) * in_scale

    b = ModelBuilder("ds_cnn_kws")
    x_t = b.input("input", [1, 49, 10, 1], in_scale, in_zp)
    x, x_scale = calib, in_scale

    def conv_layer(name, x, x_t, x_scale, w_float, op, **opts):
        """Quantize one conv/depthwise layer, add it, calibrate its RELU output."""
        axis = 3 if op == "DEPTHWISE_CONV_2D" else 0
        wq, ws, wd = _quantize_weights(w_float, axis)
        bq, bs, bd = _bias(rng.normal(0, 0.1, len(ws)), x_scale, ws)
        y = np.maximum(_depthwise(x, wd, bd) if axis == 3 else
                       _conv(x, wd, bd, opts["stride"][0]), 0)
        s, zp = _act_qparams(y, relu=True)
        w_t = b.const(f"{name}/weights", wq, ws, 0, quantized_dimension=axis)
        b_t = b.const(f"{name}/bias", bq, bs, 0)
        y_t = b.tensor(f"{name}/relu", [1, *y.shape[1:]], s, zp)
        b.op(op, [x_t, w_t, b_t], [y_t], padding="SAME", activation="RELU", **opts)
        return y, y_t, s

    he = lambda fan_in, shape: rng.normal(0, np.sqrt(2.0 / fan_in), shape)
    x, x_t, x_scale = conv_layer("conv1", x, x_t, x_scale, he(40, (channels, 10, 4, 1)),
                                 "CONV_2D", stride=(2, 2), dilation=(1, 1))
    for i in range(blocks):
        x, x_t, x_scale = conv_layer(f"dw{i}", x, x_t, x_scale, he(9, (1, 3, 3, channels)),
                                     "DEPTHWISE_CONV_2D", stride=(1, 1), dilation=(1, 1),
                                     depth_multiplier=1)
        x, x_t, x_scale = conv_layer(f"pw{i}", x, x_t, x_scale,
                                     he(channels, (channels, 1, 1, channels)),
                                     "CONV_2D", stride=(1, 1), dilation=(1, 1))

    # Average pool keeps its input's quantization; the reshape aliases it.
    h, w = x.shape[1:3]
    pooled = x.mean(axis=(1, 2))
    pool_t = b.tensor("avgpool", [1, 1, 1, channels], x_scale, b.tensors[x_t].zero_points[0])
    b.op("AVERAGE_POOL_2D", [x_t], [pool_t], padding="VALID", stride=(1, 1), filter=(h, w))
    flat_t = b.tensor("flatten", [1, channels], x_scale, b.tensors[x_t].zero_points[0])
    shape_t = b.const("flatten/shape", np.array([1, channels], np.int32))
    b.op("RESHAPE", [pool_t, shape_t], [flat_t], new_shape=[1, channels])

    # Classifier: scale float weights so logits spread a few units across classes and inputs.
    w_fc = rng.normal(0, 1, (len(KWS_LABELS), channels))
    logits = pooled @ w_fc.T
    w_fc *= 2.0 / max(float(np.std(logits - logits.mean())), 1e-6)
    wq, ws, wd = _quantize_weights(w_fc, None)
    bq, bs, bd = _bias(rng.normal(0, 0.5, len(KWS_LABELS)), x_scale, ws)
    logits = pooled @ wd.T + bd
    s, zp = _act_qparams(logits, relu=False)
    w_t = b.const("fc/weights", wq, ws, 0)
    b_t = b.const("fc/bias", bq, bs, 0)
    logit_t = b.tensor("logits", [1, len(KWS_LABELS)], s, zp)
    b.op("FULLY_CONNECTED", [flat_t, w_t, b_t], [logit_t], activation="NONE")

    prob_t = b.tensor("probabilities", [1, len(KWS_LABELS)], 1.0 / 256.0, -128)
    b.op("SOFTMAX", [logit_t], [prob_t], beta=1.0)
    b.output(prob_t)
    return b.build()
