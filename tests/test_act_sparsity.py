"""Activation sparsity (issue 6, item 4): zero-point activations skipped in the MAC loop.

Generated conv / depthwise / fully connected layers, dense and sparse weights, blocks
of 1 and 4 (and 3: a partial last block), with many zero-point activations (all zero,
none, a single non-zero, zero rows and columns at the edges, zero channel blocks, half
at random), padding, strides and per-channel scales: outputs bit-exact with TFLM,
macs + macs_skipped + macs_skipped_act == the dense count, and macs_skipped_act
equal to an independent numpy count of the skipped blocks. Then the converter's
choice of layers (fed by a ReLU), the switch, the estimate as an upper bound, and
the shared models' goldens with the switch on.
"""
import struct
import zlib

import numpy as np
import pytest

import edge_dla
from conftest import MODELS, RUNNABLE, assert_cycles_vs_estimate, model_bytes, run_blob
from edge_dla import blob as fmt
from edge_dla.errors import BlobError
from edge_dla.prune import rewrite_weights, weight_buffers
from edge_dla.testing import tflite_builder as tb

MAC_OPS = {1, 2, 3, 68, 69, 70}  # edla_opcode: conv, depthwise, FC and their *_SPARSE forms


def flag_mac_ops(blob):
    """The blob with the NPU's zero-activation skip on and every MAC layer flagged (the
    converter flags only layers fed by a ReLU; single-layer models have none)."""
    ops = [op[:11] + (op[11] | fmt.OP_FLAG_ACT_SPARSE,) + op[12:] if op[0] in MAC_OPS else op
           for op in fmt.unpack_records(blob)[1]]
    out = bytearray(fmt.with_records(blob, ops=ops))
    struct.pack_into("<H", out, 62, fmt.NPU_ACT_SPARSITY)  # npu_flags: its only bit
    struct.pack_into("<I", out, 12, fmt.crc32(bytes(out[16:])))
    return bytes(out)


# ---- generated layers ------------------------------------------------------------------

def _models(rng, zp):
    return {
        "conv": tb.conv2d_model(rng, [1, 7, 6, 9], 8, kernel=(3, 3), padding="SAME", input_zero_point=zp),
        "conv_strided": tb.conv2d_model(rng, [1, 9, 8, 12], 5, kernel=(3, 2), stride=(2, 2), padding="SAME",
                                        input_zero_point=zp),
        "conv_dilated": tb.conv2d_model(rng, [2, 8, 8, 5], 4, kernel=(3, 3), dilation=(2, 2), padding="SAME",
                                        per_channel=False, input_zero_point=zp),
        "depthwise": tb.depthwise_model(rng, [1, 8, 7, 6], depth_multiplier=2, kernel=(3, 3), padding="SAME",
                                        input_zero_point=zp),
        "depthwise_strided": tb.depthwise_model(rng, [1, 9, 9, 7], kernel=(3, 3), stride=(2, 2),
                                                padding="SAME", input_zero_point=zp),
        # more than 255 output pixels per tap: the host's byte counters widen mid-layer
        "conv_many_pixels": tb.conv2d_model(rng, [1, 18, 17, 9], 6, kernel=(3, 3), padding="SAME",
                                            input_zero_point=zp),
        "depthwise_many_pixels": tb.depthwise_model(rng, [2, 12, 23, 5], kernel=(3, 3), padding="SAME",
                                                    input_zero_point=zp),
        "fc": tb.fully_connected_model(rng, [3, 26], 10, input_zero_point=zp),
        "fc_per_channel": tb.fully_connected_model(rng, [1, 40], 6, bias=False, per_channel=True,
                                                   input_zero_point=zp),
    }


def _geometry(kind):
    """(op, stride, dilation, depth multiplier) of each generated model."""
    return {"conv": ("conv", 1, 1, 1), "conv_strided": ("conv", (2, 2), 1, 1),
            "conv_dilated": ("conv", 1, 2, 1), "depthwise": ("dw", 1, 1, 2),
            "depthwise_strided": ("dw", 2, 1, 1), "conv_many_pixels": ("conv", 1, 1, 1),
            "depthwise_many_pixels": ("dw", 1, 1, 1), "fc": ("fc", 1, 1, 1), "fc_per_channel": ("fc", 1, 1, 1),
            "depthwise_chunk": ("dw", 1, 1, 2)}[kind]


def _pattern(shape, zp, name, rng):
    x = rng.integers(-128, 128, size=shape)
    x[x == zp] = zp + 1 if zp < 127 else zp - 1  # "none": not a single zero point
    if name == "all_zero":
        x[...] = zp
    elif name == "single":
        keep = x.reshape(-1)[x.size // 2]
        x[...] = zp
        x.reshape(-1)[x.size // 2] = keep
    elif name == "edge_rows":  # zero rows/columns at the borders (FC: the first and last rows)
        if x.ndim == 4:
            x[:, [0, -1]] = zp
            x[:, :, [0, -1]] = zp
        else:
            x[[0, -1]] = zp
            x[:, :4] = zp
    elif name == "channel_blocks":  # whole blocks of 4 channels zero, and the partial last one
        x[..., :4] = zp
        x[..., -(x.shape[-1] % 4 or 4):] = zp
    elif name == "random_half":
        x[rng.random(shape) < 0.5] = zp
    elif name == "relu_like":  # 70% zero points, the rest above them, as after a ReLU
        x = np.where(rng.random(shape) < 0.7, zp, rng.integers(zp, 128, size=shape))
    elif name != "none":
        raise ValueError(name)
    return x.astype(np.int8)


def _blocks(n, block):
    return [(b, min(b + block, n)) for b in range(0, n, block)]


def _windows(x, zp, kh, kw, stride, dilation):
    """[N, Ho, Wo, kh, kw, C] input taps of a SAME conv, padding taps the zero point (as TFLite
    pads: total (out-1)*stride + dilated extent - in, the smaller half before)."""
    n, h, w, c = x.shape
    (sh, sw), (dh, dw) = np.broadcast_to(stride, 2), np.broadcast_to(dilation, 2)
    ho, wo = -(-h // sh), -(-w // sw)
    eh, ew = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    ph, pw = max((ho - 1) * sh + eh - h, 0) // 2, max((wo - 1) * sw + ew - w, 0) // 2
    padded = np.full((n, h + 2 * eh, w + 2 * ew, c), zp, np.int64)
    padded[:, ph:ph + h, pw:pw + w] = x
    out = np.empty((n, ho, wo, kh, kw, c), np.int64)
    for i in range(kh):
        for j in range(kw):
            out[:, :, :, i, j] = padded[:, i * dh:i * dh + (ho - 1) * sh + 1:sh, j * dw:j * dw + (wo - 1) * sw + 1:sw]
    return out


def expected_skipped(kind, x, w, zp, block, sparse, chunk=None):
    """MACs the NPU skips for zero-point activations: blocks of `block` along the inner axis
    (conv: input channels of a tap, FC: depth, depthwise: channels of a tap) whose activations
    are all the zero point, among the weight blocks it executes (all of them for dense weights,
    those holding a non-zero for sparse ones)."""
    op, stride, dilation, dm = _geometry(kind)
    skipped = 0
    if chunk is not None:  # output channels [begin, end) of a depthwise chunk (blocks restart there)
        _, kh, kw, _ = w.shape
        taps = _windows(x, zp, kh, kw, stride, dilation)[..., np.arange(*chunk) // dm]
        for b0, b1 in _blocks(chunk[1] - chunk[0], block):
            skipped += int((taps[..., b0:b1] == zp).all(axis=-1).sum()) * (b1 - b0)
        return skipped
    if op == "fc":
        rows = x.reshape(-1, w.shape[1])
        for b0, b1 in _blocks(w.shape[1], block):
            zero = (rows[:, b0:b1] == zp).all(axis=1)                     # [rows]
            live = (w[:, b0:b1] != 0).any(axis=1) if sparse else np.ones(w.shape[0], bool)
            skipped += int(zero.sum()) * int(live.sum()) * (b1 - b0)
        return skipped
    if op == "conv":
        co, kh, kw, ci = w.shape
        taps = _windows(x, zp, kh, kw, stride, dilation)                  # [N,Ho,Wo,kh,kw,ci]
        for b0, b1 in _blocks(ci, block):
            zero = (taps[..., b0:b1] == zp).all(axis=-1)                  # [N,Ho,Wo,kh,kw]
            live = (w[..., b0:b1] != 0).any(axis=-1) if sparse else np.ones((co, kh, kw), bool)
            skipped += int(np.einsum("nyxij,oij->", zero.astype(np.int64), live.astype(np.int64))) * (b1 - b0)
        return skipped
    _, kh, kw, co = w.shape
    taps = _windows(x, zp, kh, kw, stride, dilation)[..., np.arange(co) // dm]  # channel oc reads oc / dm
    for b0, b1 in _blocks(co, block):
        zero = (taps[..., b0:b1] == zp).all(axis=-1)
        live = (w[0, :, :, b0:b1] != 0).any(axis=-1) if sparse else np.ones((kh, kw), bool)
        skipped += int(np.einsum("nyxij,ij->", zero.astype(np.int64), live.astype(np.int64))) * (b1 - b0)
    return skipped


def _weights(model, rng, sparse):
    (b, (_, n, shape)), = weight_buffers(model).items()
    w = rng.integers(-127, 128, size=shape).astype(np.int8)
    w[w == 0] = 1
    if sparse:
        w[rng.random(shape) < 0.5] = 0
        w.reshape(-1)[: max(1, n // 8)] = 0  # a run of zero blocks at the start
    return rewrite_weights(model, {b: w}), w


KINDS = ["conv", "conv_strided", "conv_dilated", "depthwise", "depthwise_strided", "conv_many_pixels",
         "depthwise_many_pixels", "fc", "fc_per_channel"]
PATTERNS = ["all_zero", "none", "single", "edge_rows", "channel_blocks", "random_half", "relu_like"]


@pytest.mark.parametrize("block", [1, 3, 4])
@pytest.mark.parametrize("form", ["dense", "sparse"])
@pytest.mark.parametrize("kind", KINDS)
def test_generated_layers_bit_exact_and_counted(kind, form, block):
    rng = np.random.default_rng(zlib.crc32(f"act/{kind}/{form}/{block}".encode()))
    for zp in (-128, int(rng.integers(-100, 100)), 127):
        model, w = _weights(_models(rng, zp)[kind], rng, form == "sparse")
        plain = edge_dla.convert(model, weight_format=form, sparsity_block=block)
        blob = flag_mac_ops(plain)
        sparse = any(layer.get("weights", {}).get("format") == "sparse" for layer in edge_dla.inspect(blob)["layers"])
        assert sparse == (form == "sparse")
        (shape, dtype), = tb.input_shapes(model)
        for pattern in PATTERNS:
            x = _pattern(shape, zp, pattern, rng)
            want = tb.run_tflm(model, [x])
            (got,), prof = run_blob(blob, [x])
            (ref,), ref_prof = run_blob(plain, [x])
            np.testing.assert_array_equal(got, want[0].reshape(got.shape), err_msg=f"{pattern} zp {zp}")
            np.testing.assert_array_equal(ref, got)
            t, r = prof["total"], ref_prof["total"]
            dense = int(np.prod(got.shape[:-1])) * w.size  # output pixels (FC rows) x every weight
            assert t["macs"] + t["macs_skipped"] + t["macs_skipped_act"] == dense
            assert r["macs_skipped_act"] == 0 and r["macs"] + r["macs_skipped"] == dense
            assert t["macs_skipped"] == r["macs_skipped"]  # the weight skip is unchanged
            assert t["macs_skipped_act"] == expected_skipped(kind, x, w, zp, block, sparse), f"{pattern} zp {zp}"
            if pattern == "all_zero":  # every executed MAC reads the zero point
                assert t["macs"] == 0
            assert t["cycles"] <= r["cycles"]


def test_all_zero_activations_cost_only_the_launch():
    """A layer whose activations are all skipped computes nothing: its cycles are the
    launch overhead (or its DMA), not the element-wise unit's rate."""
    rng = np.random.default_rng(5)
    model = tb.fully_connected_model(rng, [4, 2], 64, input_zero_point=-128)  # depth 2: few MACs per output
    blob = flag_mac_ops(edge_dla.convert(model, weight_format="dense"))
    _, prof = run_blob(blob, [np.full((4, 2), -128, np.int8)])
    row = next(r for r in prof["layers"] if r["op"] == "FULLY_CONNECTED")
    info = edge_dla.inspect(blob)
    assert row["macs"] == 0 and row["macs_skipped_act"] == 4 * 2 * 64
    assert row["cycles"] <= info["layers"][[l["op"] for l in info["layers"]].index("FULLY_CONNECTED")]["cycles"]
    assert row["cycles"] == max(-(-row["dma_bytes"] * 256 // info["npu"]["flash_bytes_per_cycle_q8"]), 0) + \
        info["npu"]["op_overhead_cycles"]


def _staged_blob(model, budget, block):
    """The model's layers, flagged, with weights staged in output-channel chunks of at most
    `budget` bytes (as a small scratchpad forces; test_tiling does the same)."""
    from dataclasses import replace
    from edge_dla.converter import blob_writer, driver, lower, memory_plan, tiling
    from edge_dla.converter.tflite_reader import read_tflite
    _, npu = driver._npu_record({})
    npu.update(sparsity_block=block, activation_sparsity=True)
    layers, inputs, outputs = lower.lower(read_tflite(model))
    staged = tiling.stage_weights([replace(l, act_sparse=True) for l in layers], budget)
    plan = memory_plan.plan(memory_plan.assign_lifetimes(staged, inputs, outputs))
    meta = {"inputs": [{"name": "x", "index": 0, "shape": list(inputs[0].shape), "dtype": "int8",
                        "quantization": inputs[0].quantization}],
            "outputs": [{"name": "y", "index": 1, "shape": list(outputs[0].shape), "dtype": "int8",
                         "quantization": outputs[0].quantization}]}
    return blob_writer.write_blob(staged, inputs, outputs, plan["peak"], npu, meta), staged


@pytest.mark.parametrize("block", [1, 4])
@pytest.mark.parametrize("kind", ["conv", "depthwise", "fc"])
def test_chunked_layers_count_like_the_whole(kind, block):
    """Output-channel chunks (weights staged into a small scratchpad) skip and count
    like the whole layer; depthwise blocks restart at each chunk (the chunk is what the
    MAC array sees), so they are compared with the per-chunk numpy count."""
    rng = np.random.default_rng(zlib.crc32(f"chunks/{kind}/{block}".encode()))
    model = {"conv": lambda: tb.conv2d_model(rng, [1, 6, 6, 16], 24, kernel=(3, 3), input_zero_point=-128),
             "depthwise": lambda: tb.depthwise_model(rng, [1, 6, 6, 12], depth_multiplier=2, input_zero_point=-128),
             "fc": lambda: tb.fully_connected_model(rng, [2, 64], 24, input_zero_point=-128)}[kind]()
    model, w = _weights(model, rng, False)
    (shape, _), = tb.input_shapes(model)
    x = _pattern(shape, -128, "relu_like", rng)
    blob, staged = _staged_blob(model, 64 if kind == "depthwise" else 256, block)
    layers = [l for l in staged if l.kind in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")]
    assert len(layers) > 1 and all(l.act_sparse for l in layers)
    (got,), prof = run_blob(blob, [x])
    np.testing.assert_array_equal(got, tb.run_tflm(model, [x])[0].reshape(got.shape))
    t = prof["total"]
    assert t["macs"] + t["macs_skipped_act"] == int(np.prod(got.shape[:-1])) * w.size
    if kind != "depthwise":  # blocks along the inner axis: chunks do not cut them
        assert t["macs_skipped_act"] == expected_skipped(kind, x, w, -128, block, False)
    else:
        want = 0
        for l in layers:
            begin, end = l.params[11], l.params[12]
            sub = np.zeros_like(w)[..., : end - begin]
            want += expected_skipped("depthwise_chunk", x, sub, -128, block, False, (begin, end))
        assert t["macs_skipped_act"] == want


# ---- the loader ------------------------------------------------------------------------

def test_loader_refuses_the_flag_where_it_cannot_apply():
    rng = np.random.default_rng(3)
    model = tb.pool_model(rng, [1, 8, 8, 4], kind="MAX")
    blob = edge_dla.convert(model)
    header = fmt.read_header(blob)

    def patched(at, value, fmt_="<I"):
        out = bytearray(blob)
        struct.pack_into(fmt_, out, at, value)
        struct.pack_into("<I", out, 12, fmt.crc32(bytes(out[16:header.total_size])))
        return bytes(out)

    def first_op_flagged(blob, flags):
        first, *rest = fmt.unpack_records(blob)[1]
        return fmt.with_records(blob, ops=[first[:11] + (flags,) + first[12:], *rest])
    on = fmt.NPU_ACT_SPARSITY
    with pytest.raises(BlobError, match="OP|op"):  # a pool never skips activations
        edge_dla.Interpreter(model_content=first_op_flagged(blob, fmt.OP_FLAG_ACT_SPARSE))
    with pytest.raises(BlobError):  # unknown NPU flag bits
        edge_dla.Interpreter(model_content=patched(62, 0x8000, "<H"))
    assert edge_dla.Interpreter(model_content=patched(62, on, "<H"))  # the switch alone is fine
    conv = bytearray(edge_dla.convert(tb.conv2d_model(rng, [1, 4, 4, 3], 2)))
    struct.pack_into("<H", conv, 62, 0)  # switch off, layer flagged
    with pytest.raises(BlobError):
        edge_dla.Interpreter(model_content=first_op_flagged(bytes(conv), fmt.OP_FLAG_ACT_SPARSE))


# ---- the converter's choice and the switch -----------------------------------------------

def _flags(blob):
    return [(op[0], bool(op[11] & fmt.OP_FLAG_ACT_SPARSE)) for op in fmt.unpack_records(blob)[1]]


def test_converter_flags_the_layers_fed_by_a_relu(models_dir):
    """vww (MobileNet v1, ReLU6 after every layer): every MAC layer but the first, which
    reads the image, is flagged; off, none is and the header says so."""
    data = model_bytes("vww_96_int8")
    on, off = edge_dla.convert(data), edge_dla.convert(data, activation_sparsity=False)
    assert fmt.read_header(on).npu["activation_sparsity"] and not fmt.read_header(off).npu["activation_sparsity"]
    mac = [flag for code, flag in _flags(on) if code in MAC_OPS]
    assert mac[0] is False and all(mac[1:]) and len(mac) > 20
    assert not any(flag for _, flag in _flags(off))
    info = edge_dla.inspect(on)
    assert [l.get("act_sparse", False) for l in info["layers"]] == [f for _, f in _flags(on)]
    from edge_dla.cli import format_inspect
    assert "act sparsity  on:" in format_inspect(info) and "act sparsity" not in format_inspect(edge_dla.inspect(off))


def test_converter_leaves_layers_without_a_relu_input_alone():
    """A conv chain whose first layer has no fused activation (or clamps elsewhere, as
    RELU_N1_TO_1 does) does not flag its consumer; RELU and RELU6 do."""
    from edge_dla.converter import act_sparsity, lower
    from edge_dla.converter.tflite_reader import read_tflite
    rng = np.random.default_rng(7)
    for activation, expect in (("NONE", False), ("RELU", True), ("RELU6", True), ("RELU_N1_TO_1", False)):
        first = tb.conv2d_model(rng, [1, 6, 6, 4], 8, kernel=(1, 1), activation=activation)
        layers, _, _ = lower.lower(read_tflite(first))
        conv = layers[0]
        assert act_sparsity.clamps_at_zero_point(conv) is expect, activation
    b = tb.ModelBuilder("chain")
    x = b.input("x", [1, 6, 6, 4], 0.05, -3)
    w1 = b.const("w1", rng.integers(-127, 128, size=(8, 1, 1, 4)).astype(np.int8), [0.01])
    h = b.tensor("h", [1, 6, 6, 8], 0.04, -128)
    b.op("CONV_2D", [x, w1, -1], [h], padding="SAME", stride=(1, 1), fused_activation_function="RELU")
    w2 = b.const("w2", rng.integers(-127, 128, size=(5, 3, 3, 8)).astype(np.int8), [0.01])
    y = b.tensor("y", [1, 6, 6, 5], 0.1, 0)
    b.op("CONV_2D", [h, w2, -1], [y], padding="SAME", stride=(1, 1))
    b.output(y)
    model = b.build()
    blob = edge_dla.convert(model, weight_format="dense")
    assert [f for code, f in _flags(blob) if code in MAC_OPS] == [False, True]
    x_in = np.asarray(rng.integers(-128, 128, size=(1, 6, 6, 4)), np.int8)
    (got,), prof = run_blob(blob, [x_in])
    np.testing.assert_array_equal(got, tb.run_tflm(model, [x_in])[0].reshape(got.shape))
    assert prof["layers"][1]["macs_skipped_act"] > 0 and prof["layers"][0]["macs_skipped_act"] == 0
    assert_cycles_vs_estimate(prof, edge_dla.inspect(blob))


def test_switch_validation_and_cli(tmp_path, models_dir, capsys):
    with pytest.raises(ValueError, match="activation_sparsity"):
        edge_dla.convert(model_bytes("hello_world_int8"), activation_sparsity="yes")
    from edge_dla import cli
    src = MODELS / "vww_96_int8.tflite"
    for flag, expect in (("--activation-sparsity", True), ("--no-activation-sparsity", False)):
        out = tmp_path / f"{flag}.edla"
        assert cli.main(["convert", str(src), "-o", str(out), flag]) == 0
        assert fmt.read_header(out.read_bytes()).npu["activation_sparsity"] is expect
    x = tmp_path / "x.npy"
    np.save(x, np.load(MODELS / "golden" / "vww_96_int8.npz")["input_0"].reshape(1, 96, 96, 3))
    capsys.readouterr()
    assert cli.main(["run", str(tmp_path / "--activation-sparsity.edla"), "--input", str(x), "--profile"]) == 0
    text = capsys.readouterr().out
    assert "act skip" in text


# ---- the shared models ---------------------------------------------------------------------

@pytest.mark.parametrize("name", RUNNABLE)
def test_shared_models_golden_with_the_switch_on(name, models_dir):
    """Goldens bit-exact with the switch on; the counter identity per layer against the
    same blob without it; the estimate an upper bound (exact with the switch off)."""
    data = model_bytes(name)
    golden = np.load(MODELS / "golden" / f"{name}.npz")
    on, off = edge_dla.convert(data), edge_dla.convert(data, activation_sparsity=False)
    runs = {}
    for label, blob in (("on", on), ("off", off)):
        it = edge_dla.Interpreter(model_content=blob)
        it.allocate_tensors()
        ins, outs = it.get_input_details(), it.get_output_details()
        for k in range(6):
            it.set_tensor(ins[0]["index"], golden[f"input_{k}"].reshape(ins[0]["shape"]))
            it.invoke()
            np.testing.assert_array_equal(it.get_tensor(outs[0]["index"]).reshape(-1),
                                          golden[f"output_{k}"].reshape(-1))
        runs[label] = it.profile()
        assert_cycles_vs_estimate(runs[label], edge_dla.inspect(blob))
    for a, b in zip(runs["on"]["layers"], runs["off"]["layers"]):
        assert a["macs"] + a["macs_skipped"] + a["macs_skipped_act"] == b["macs"] + b["macs_skipped"]
        assert a["macs_skipped"] == b["macs_skipped"] and b["macs_skipped_act"] == 0


def test_every_host_kernel_path_counts_alike():
    """The portable loops skip zero-point terms; AVX2 and VNNI compute flagged layers densely.
    Outputs and counters are the same on every path the CPU has."""
    from edge_dla import _native
    default = _native.set_isa(None)
    levels = _native.isa_levels()
    rng = np.random.default_rng(13)
    try:
        for kind in ("conv", "depthwise", "fc"):
            for form in ("dense", "sparse"):
                model, _ = _weights(_models(rng, -128)[kind], rng, form == "sparse")
                blob = flag_mac_ops(edge_dla.convert(model, weight_format=form, sparsity_block=4))
                (shape, _), = tb.input_shapes(model)
                x = _pattern(shape, -128, "relu_like", rng)
                seen = []
                for level in levels:
                    _native.set_isa(level)
                    (y,), prof = run_blob(blob, [x])
                    seen.append((y.tobytes(), [tuple(r[k] for k in ("macs", "macs_skipped", "macs_skipped_act",
                                                                   "cycles")) for r in prof["layers"]]))
                assert all(s == seen[0] for s in seen), (kind, form)
    finally:
        _native.set_isa(default)
