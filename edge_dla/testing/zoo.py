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


# ---- combined models of the element-wise, activation and reduction ops ------------------------
def _hard_swish(x):
    return x * np.clip(x + 3.0, 0.0, 6.0) / 6.0


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


class _Net:
    """Builds an int8 graph layer by layer while running the float model on a
    calibration batch, so every activation gets the scale and zero point a
    converter would calibrate. Each method takes and returns (float batch, tensor)."""

    def __init__(self, name, rng, in_shape, in_scale, in_zp, dtype="int8"):
        self.b, self.rng = ModelBuilder(name), rng
        self.q = {}  # tensor index -> (scale, zero point)
        calib = (rng.integers(-128, 128, (16, *in_shape[1:])) - in_zp) * in_scale
        if dtype == "float32":  # float input, quantized by the model's first op
            x_f = self.b.input("input", in_shape, dtype="float32")
            self.x = (calib, self._tensor("input/quantized", in_shape, in_scale, in_zp))
            self.b.op("QUANTIZE", [x_f], [self.x[1]])
        else:
            self.x = (calib, self._tensor("input", in_shape, in_scale, in_zp))
            self.b.inputs.append(self.x[1])

    def _tensor(self, name, shape, scale, zp):
        t = self.b.tensor(name, list(shape), scale, zp)
        self.q[t] = (scale, zp)
        return t

    def _out(self, name, y, relu=False, fixed=None):
        scale, zp = fixed if fixed else _act_qparams(y, relu)
        return y, self._tensor(name, [1, *y.shape[1:]], scale, zp)

    def conv(self, name, x, w, op="CONV_2D", relu=False, **opts):
        """CONV_2D (w [O,KH,KW,I], per-channel), DEPTHWISE_CONV_2D (w [1,KH,KW,C]) or
        FULLY_CONNECTED (w [O,I], per-tensor), stride 1, SAME padding."""
        (xf, xt), x_scale = x, self.q[x[1]][0]
        axis = {"CONV_2D": 0, "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": None}[op]
        wq, ws, wd = _quantize_weights(w, axis)
        bq, bs, bd = _bias(self.rng.normal(0, 0.1, w.shape[0 if axis is None else axis]), x_scale, ws)
        if op == "FULLY_CONNECTED":
            y = xf @ wd.T + bd
        else:
            y = _depthwise(xf, wd, bd) if axis == 3 else _conv(xf, wd, bd, 1)
            opts = {"padding": "SAME", "stride": (1, 1), "dilation": (1, 1), **opts}
        y = np.maximum(y, 0) if relu else y
        out = self._out(f"{name}/out", y, relu)
        w_t = self.b.const(f"{name}/weights", wq, ws, 0, quantized_dimension=axis or 0)
        b_t = self.b.const(f"{name}/bias", bq, bs, 0)
        self.b.op(op, [xt, w_t, b_t], [out[1]], activation="RELU" if relu else "NONE", **opts)
        return out

    def unary(self, op, x, fn, fixed=None, relu=False, **opts):
        out = self._out(f"{op.lower()}{len(self.b.ops)}", fn(x[0]), relu, fixed)
        self.b.op(op, [x[1]], [out[1]], **opts)
        return out

    def binary(self, op, x, y, fn):
        out = self._out(f"{op.lower()}{len(self.b.ops)}", fn(x[0], y[0]))
        self.b.op(op, [x[1], y[1]], [out[1]])
        return out

    def mean(self, x, axes):
        out = self._out(f"mean{len(self.b.ops)}", x[0].mean(axis=tuple(axes), keepdims=True))
        self.b.op("MEAN", [x[1], self.b.const(f"mean{len(self.b.ops)}/axes", np.array(axes, np.int32))],
                  [out[1]], keep_dims=True)
        return out

    def build(self, *outputs, float_output=False):
        for _, t in outputs:
            if float_output:
                f = self.b.tensor(f"{self.b.tensors[t].name}/float", self.b.tensors[t].shape, dtype="float32")
                self.b.op("DEQUANTIZE", [t], [f])
                t = f
            self.b.output(t)
        return self.b.build()


def mobilenet_v3_block_net(seed: int = 0, size: int = 12, channels: int = 8, expand: int = 24,
                           squeeze: int = 6) -> bytes:
    """A MobileNetV3 inverted-residual block: 1x1 expand -> HARD_SWISH -> 3x3 depthwise ->
    HARD_SWISH -> squeeze-excite (MEAN -> 1x1 CONV -> RELU -> 1x1 CONV -> LOGISTIC gate -> MUL)
    -> 1x1 project -> ADD residual. The squeeze RELU is a standalone op (the converter
    folds it into its conv); the rest of the element-wise ops run on the CPU."""
    rng = np.random.default_rng(seed)
    net = _Net("mobilenet_v3_block", rng, [1, size, size, channels], 0.05, int(rng.integers(-10, 10)))
    he = lambda fan_in, shape: rng.normal(0, np.sqrt(2.0 / fan_in), shape)
    x = net.x
    h = net.conv("expand", x, he(channels, (expand, 1, 1, channels)))
    h = net.unary("HARD_SWISH", h, _hard_swish)
    h = net.conv("depthwise", h, he(9, (1, 3, 3, expand)), op="DEPTHWISE_CONV_2D", depth_multiplier=1)
    h = net.unary("HARD_SWISH", h, _hard_swish)
    s = net.mean(h, [1, 2])
    s = net.conv("se_reduce", s, he(expand, (squeeze, 1, 1, expand)))
    s = net.unary("RELU", s, lambda v: np.maximum(v, 0), fixed=net.q[s[1]])  # same quantization: fused
    s = net.conv("se_expand", s, he(squeeze, (expand, 1, 1, squeeze)))
    gate = net.unary("LOGISTIC", s, _sigmoid, fixed=(1.0 / 256.0, -128))
    h = net.binary("MUL", h, gate, lambda a, g: a * g)
    h = net.conv("project", h, he(expand, (channels, 1, 1, expand)))
    return net.build(net.binary("ADD", x, h, lambda a, c: a + c))


def mlp_tanh_sigmoid(seed: int = 0, features: int = 24, hidden: int = 32, classes: int = 6,
                     float_io: bool = False) -> bytes:
    """An MLP: FULLY_CONNECTED -> TANH -> FULLY_CONNECTED -> LOGISTIC -> FULLY_CONNECTED ->
    LOGISTIC (independent per-class probabilities). With float_io, a float32 input
    is QUANTIZEd and the float32 output DEQUANTIZEd, as Keras exports with float I/O."""
    rng = np.random.default_rng(seed)
    net = _Net("mlp_tanh_sigmoid", rng, [1, features], 0.04, int(rng.integers(-20, 20)),
               dtype="float32" if float_io else "int8")
    glorot = lambda fan_in, fan_out: rng.normal(0, np.sqrt(2.0 / (fan_in + fan_out)), (fan_out, fan_in))
    h = net.conv("fc1", net.x, glorot(features, hidden) * 2.0, op="FULLY_CONNECTED")
    h = net.unary("TANH", h, np.tanh, fixed=(1.0 / 128.0, 0))
    h = net.conv("fc2", h, glorot(hidden, hidden) * 3.0, op="FULLY_CONNECTED")
    h = net.unary("LOGISTIC", h, _sigmoid, fixed=(1.0 / 256.0, -128))
    h = net.conv("fc3", h, glorot(hidden, classes) * 4.0, op="FULLY_CONNECTED")
    return net.build(net.unary("LOGISTIC", h, _sigmoid, fixed=(1.0 / 256.0, -128)), float_output=float_io)


# ---- combined models of the data movement and structural ops -----------------------------------
def _transpose_conv_same(x, w, b, stride):
    """Float TRANSPOSE_CONV, SAME padding (output = input * stride), cropped as TFLM pads."""
    n, h, wd, _ = x.shape
    o, k = w.shape[0], w.shape[1]
    full = np.zeros((n, (h - 1) * stride + k, (wd - 1) * stride + k, o))
    for i in range(h):
        for j in range(wd):
            full[:, i * stride:i * stride + k, j * stride:j * stride + k] += np.einsum("nc,oyxc->nyxo",
                                                                                       x[:, i, j], w)
    pad = max(k - stride, 0) // 2
    return full[:, pad:pad + h * stride, pad:pad + wd * stride] + b


def _keras_flatten(b, x_t, shape, scale, zp):
    """Keras' Flatten as the TFLite converter emits it: SHAPE -> STRIDED_SLICE (batch) ->
    PACK [batch, -1] -> RESHAPE. edge_dla folds the shape arithmetic into a view."""
    name = b.tensors[x_t].name
    shp = b.tensor(f"{name}/flatten/shape", [len(shape)], dtype="int32")
    b.op("SHAPE", [x_t], [shp], out_type=2)
    batch = b.tensor(f"{name}/flatten/batch", [], dtype="int32")
    b.op("STRIDED_SLICE", [shp, b.const(f"{name}/flatten/begin", np.array([0], np.int32)),
                           b.const(f"{name}/flatten/end", np.array([1], np.int32)),
                           b.const(f"{name}/flatten/strides", np.array([1], np.int32))], [batch],
         shrink_axis_mask=1)
    target = b.tensor(f"{name}/flatten/target", [2], dtype="int32")
    b.op("PACK", [batch, b.const(f"{name}/flatten/minus_one", np.array(-1, np.int32))], [target],
         values_count=2, axis=0)
    flat = b.tensor(f"{name}/flatten", [shape[0], int(np.prod(shape[1:]))], scale, zp)
    b.op("RESHAPE", [x_t, target], [flat])
    return flat


class _MovementNet:
    """An int8 graph built beside its float model on a calibration batch (each
    activation gets a calibrated scale and zero point). Methods take and return
    (float batch, tensor index). Concatenated inputs keep their own quantization;
    with explicit_requantize each one quantized unlike the concat output gets a
    QUANTIZE op first, as the TFLite converter emits (TFLM requires it)."""

    def __init__(self, name, rng, in_shape, in_scale, in_zp, explicit_requantize):
        self.b, self.rng, self.q = ModelBuilder(name), rng, {}
        self.explicit = explicit_requantize
        calib = (rng.integers(-128, 128, (16, *in_shape[1:])) - in_zp) * in_scale
        self.x = (calib, self.tensor("input", in_shape, in_scale, in_zp))
        self.b.inputs.append(self.x[1])

    def tensor(self, name, shape, scale, zp):
        t = self.b.tensor(name, list(shape), scale, zp)
        self.q[t] = (scale, zp)
        return t

    def act(self, name, y, relu=False, q=None):
        scale, zp = q or _act_qparams(y, relu)
        return y, self.tensor(name, [1, *y.shape[1:]], scale, zp)

    def _weights(self, x, w, axis=0):
        wq, ws, wd = _quantize_weights(w, axis)
        bq, bs, bd = _bias(self.rng.normal(0, 0.1, len(ws)), self.q[x[1]][0], ws)
        return wq, ws, wd, bq, bs, bd

    def conv(self, name, x, cout, k=(3, 3), stride=1, relu=True, padding="SAME"):
        cin = x[0].shape[-1]
        w = self.rng.normal(0, np.sqrt(2.0 / (k[0] * k[1] * cin)), (cout, *k, cin))
        wq, ws, wd, bq, bs, bd = self._weights(x, w)
        xf = x[0] if padding == "SAME" else x[0]
        if padding == "SAME":
            y = _conv(xf, wd, bd, stride)
        else:  # VALID, stride 1
            y = np.einsum("nhwijc,oijc->nhwo", _patches(xf, k[0], k[1], 1, 1), wd) + bd
        y = np.maximum(y, 0) if relu else y
        out = self.act(f"{name}/out", y, relu)
        self.b.op("CONV_2D", [x[1], self.b.const(f"{name}/weights", wq, ws, 0, quantized_dimension=0),
                              self.b.const(f"{name}/bias", bq, bs, 0)], [out[1]], padding=padding,
                  stride=(stride, stride), dilation=(1, 1), activation="RELU" if relu else "NONE")
        return out

    def transpose_conv(self, name, x, cout, k=3, stride=2, relu=True):
        n, h, w_, cin = x[0].shape
        w = self.rng.normal(0, np.sqrt(2.0 / (k * k * cin)) * stride, (cout, k, k, cin))
        wq, ws, wd, bq, bs, bd = self._weights(x, w)
        y = _transpose_conv_same(x[0], wd, bd, stride)
        y = np.maximum(y, 0) if relu else y
        out = self.act(f"{name}/out", y, relu)
        shape = self.b.const(f"{name}/output_shape", np.array([1, h * stride, w_ * stride, cout], np.int32))
        self.b.op("TRANSPOSE_CONV", [shape, self.b.const(f"{name}/weights", wq, ws, 0, quantized_dimension=0),
                                     x[1], self.b.const(f"{name}/bias", bq, bs, 0)], [out[1]],
                  padding="SAME", stride_h=stride, stride_w=stride,
                  fused_activation_function="RELU" if relu else "NONE")
        return out

    def resize(self, name, x, factor, op="RESIZE_BILINEAR", **flags):
        """Upsampling keeps the input's quantization (TFLM ignores the output's)."""
        y = np.repeat(np.repeat(x[0], factor, axis=1), factor, axis=2)  # range is what matters
        out = self.act(name, y, q=self.q[x[1]])
        size = self.b.const(f"{name}/size", np.array(y.shape[1:3], np.int32))
        self.b.op(op, [x[1], size], [out[1]], **flags)
        return out

    def concat(self, name, xs, axis=3):
        out = self.act(name, np.concatenate([f for f, _ in xs], axis=axis))
        ins = []
        for i, (f, t) in enumerate(xs):
            if self.explicit and self.q[t] != self.q[out[1]]:
                r = self.tensor(f"{name}/requantized{i}", self.b.tensors[t].shape, *self.q[out[1]])
                self.b.op("QUANTIZE", [t], [r])
                t = r
            ins.append(t)
        self.b.op("CONCATENATION", ins, [out[1]], axis=axis)
        return out

    def view(self, op, name, x, shape, **opts):
        """EXPAND_DIMS / SQUEEZE / RESHAPE: same values, same quantization."""
        out = self.act(name, x[0].reshape([x[0].shape[0], *shape[1:]]), q=self.q[x[1]])
        ins = [x[1]]
        if op == "EXPAND_DIMS":
            ins.append(self.b.const(f"{name}/axis", np.array([opts.pop("axis")], np.int32)))
        elif op == "RESHAPE":
            ins.append(self.b.const(f"{name}/shape", np.array(shape, np.int32)))
        self.b.op(op, ins, [out[1]], **opts)
        return out

    def average_pool(self, name, x, k, stride):
        n, h, w, c = x[0].shape
        oh, ow = (h - k[0]) // stride + 1, (w - k[1]) // stride + 1
        y = np.stack([np.stack([x[0][:, i * stride:i * stride + k[0], j * stride:j * stride + k[1]].mean(axis=(1, 2))
                                for j in range(ow)], 1) for i in range(oh)], 1)
        out = self.act(name, y, q=self.q[x[1]])
        self.b.op("AVERAGE_POOL_2D", [x[1]], [out[1]], padding="VALID", stride=(stride, stride), filter=k)
        return out

    def classifier(self, x_flat, classes):
        """FULLY_CONNECTED -> SOFTMAX over a flattened (float batch, tensor)."""
        f, t = x_flat
        w = self.rng.normal(0, 1, (classes, f.shape[-1]))
        logits = f @ w.T
        w *= 2.0 / max(float(np.std(logits - logits.mean())), 1e-6)
        wq, ws, wd = _quantize_weights(w, None)
        bq, bs, bd = _bias(self.rng.normal(0, 0.5, classes), self.q[t][0], ws)
        logit = self.act("logits", f @ wd.T + bd)
        self.b.op("FULLY_CONNECTED", [t, self.b.const("fc/weights", wq, ws, 0), self.b.const("fc/bias", bq, bs, 0)],
                  [logit[1]], activation="NONE")
        prob = self.tensor("probabilities", [1, classes], 1.0 / 256.0, -128)
        self.b.op("SOFTMAX", [logit[1]], [prob], beta=1.0)
        return prob


def densenet_concat_net(seed: int = 0, size: int = 12, growth: int = 6, classes: int = 5,
                        explicit_requantize: bool = True) -> bytes:
    """A DenseNet-style net: stem conv, two dense blocks (each layer's output is concatenated
    onto its input), a transition (1x1 conv + 2x2 average pool), global average pool,
    Keras' Flatten chain (SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE), FC, SOFTMAX.

    Concatenated tensors are quantized differently from the concat output; by default
    QUANTIZE ops requantize them first (the TFLite converter's form, which TFLM runs).
    With explicit_requantize=False the concats take them as they are and edge_dla
    requantizes inside the concat layer (same results)."""
    rng = np.random.default_rng(seed)
    net = _MovementNet("densenet_concat", rng, [1, size, size, 3], 0.02, int(rng.integers(-10, 10)),
                       explicit_requantize)
    h = net.conv("stem", net.x, 8)
    for block, layers in enumerate((3, 2)):
        for i in range(layers):
            new = net.conv(f"block{block}/layer{i}", h, growth)
            h = net.concat(f"block{block}/concat{i}", [h, new])
        if block == 0:
            h = net.conv("transition", h, 12, k=(1, 1))
            h = net.average_pool("transition/pool", h, (2, 2), 2)
    n, hh, ww, c = h[0].shape
    pooled = net.average_pool("global_pool", h, (hh, ww), 1)
    flat_t = _keras_flatten(net.b, pooled[1], [1, 1, 1, c], *net.q[pooled[1]])
    net.q[flat_t] = net.q[pooled[1]]
    net.b.output(net.classifier((pooled[0].reshape(pooled[0].shape[0], c), flat_t), classes))
    return net.b.build()


def conv1d_kws_net(seed: int = 0, frames: int = 49, features: int = 10, classes: int = 12) -> bytes:
    """A Conv1D keyword-spotting net as Keras exports it: each Conv1D is EXPAND_DIMS ->
    CONV_2D (1 x k kernel) -> SQUEEZE (or RESHAPE), the first with 'causal' padding (a PAD
    of k - 1 frames before the time axis, then a VALID conv). Ends with a global average
    pool, FC and SOFTMAX. [1, frames, features] int8 in, class probabilities out."""
    rng = np.random.default_rng(seed)
    net = _MovementNet("conv1d_kws", rng, [1, frames, features], 0.25, 0, True)
    h = net.x
    # causal Conv1D: PAD the time axis by k - 1 = 2 frames in front
    f, t = h
    padded = net.act("causal_pad", np.concatenate([np.zeros((f.shape[0], 2, f.shape[2])), f], axis=1),
                     q=net.q[t])
    net.b.op("PAD", [t, net.b.const("causal_pad/paddings", np.array([[0, 0], [2, 0], [0, 0]], np.int32))],
             [padded[1]])
    h = padded
    for i, (channels, k, squeeze_op) in enumerate(((16, 3, "SQUEEZE"), (24, 3, "RESHAPE"), (32, 5, "SQUEEZE"))):
        f, t = h
        steps, cin = f.shape[1], f.shape[2]
        e = net.view("EXPAND_DIMS", f"conv1d_{i}/expand", h, [1, 1, steps, cin], axis=1)
        valid = i == 0
        c = net.conv(f"conv1d_{i}", e, channels, k=(1, k), padding="VALID" if valid else "SAME")
        out_steps = c[0].shape[2]
        opts = {"squeeze_dims": [1]} if squeeze_op == "SQUEEZE" else {}
        h = net.view(squeeze_op, f"conv1d_{i}/squeeze", c, [1, out_steps, channels], **opts)
    f, t = h
    e = net.view("EXPAND_DIMS", "pool/expand", h, [1, 1, f.shape[1], f.shape[2]], axis=1)
    pooled = net.average_pool("pool", e, (1, f.shape[1]), 1)
    flat = net.view("RESHAPE", "pool/flatten", pooled, [1, f.shape[2]])
    net.b.output(net.classifier(flat, classes))
    return net.b.build()


def unet_small(seed: int = 0, size: int = 16, classes: int = 3, explicit_requantize: bool = True) -> bytes:
    """A small U-Net: two stride-2 encoder convs, a bottleneck upsampled by TRANSPOSE_CONV
    (and by RESIZE_NEAREST_NEIGHBOR into the same skip concat), a decoder conv, a
    RESIZE_BILINEAR (half-pixel centers) back to full size, a second skip concat, and a
    1x1 conv to per-pixel class scores [1, size, size, classes]. Concat requantization as
    in densenet_concat_net."""
    rng = np.random.default_rng(seed)
    net = _MovementNet("unet_small", rng, [1, size, size, 3], 0.02, int(rng.integers(-10, 10)),
                       explicit_requantize)
    e1 = net.conv("enc1", net.x, 8)
    e2 = net.conv("enc2", e1, 12, stride=2)
    bott = net.conv("bottleneck", e2, 16, stride=2)
    up = net.transpose_conv("up2", bott, 12)
    nearest = net.resize("bottleneck/nearest", bott, 2, op="RESIZE_NEAREST_NEIGHBOR")
    d2 = net.conv("dec2", net.concat("skip2", [up, e2, nearest]), 12)
    u1 = net.resize("dec2/bilinear", d2, 2, half_pixel_centers=True)
    d1 = net.conv("dec1", net.concat("skip1", [u1, e1]), 8)
    out = net.conv("head", d1, classes, k=(1, 1), relu=False)
    net.b.output(out[1])
    return net.b.build()
