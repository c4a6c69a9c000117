"""The firmware's conv, depthwise, fully connected and ADD kernels (MVE or scalar,
per the build) on the emulated board: every op-oracle case plus shapes that
reach the MVE paths' tails, channel groups and fallbacks; board == TFLM == host."""
import numpy as np
import pytest

import edge_dla
from edge_dla.board import protocol as p
from edge_dla.testing import tflite_builder as tb
from edge_dla.testing.tflite_builder import run_tflm
from oracle import PATTERNS, make_inputs
from test_ops_oracle import CONV_CASES, DW_CASES, FC_CASES, rng_for

pytestmark = pytest.mark.board

EXTRA = {  # MVE: 16-byte K tails, 4/8/16-channel tails, channel groups and passes, K > 2048 (portable)
    "conv_k_tail_17": ("conv", dict(in_shape=[1, 6, 6, 17], out_channels=7, kernel=3)),
    "conv_pointwise_300": ("conv", dict(in_shape=[1, 3, 3, 24], out_channels=300, kernel=1)),
    "conv_k_2160": ("conv", dict(in_shape=[1, 4, 4, 240], out_channels=5, kernel=3)),
    "conv_stride2_pointwise": ("conv", dict(in_shape=[1, 6, 6, 32], out_channels=9, kernel=1, stride=2)),
    "dw_37_channels": ("dw", dict(in_shape=[1, 6, 5, 37], kernel=3)),
    "dw_stride2_pad_24": ("dw", dict(in_shape=[1, 9, 8, 24], kernel=3, stride=2)),
    # K <= 64 (x held in registers): 1 to 4 blocks, K % 16 == 0 or not, left shifts
    "conv_k_64_pointwise": ("conv", dict(in_shape=[1, 5, 4, 64], out_channels=9, kernel=1)),
    "conv_k_63": ("conv", dict(in_shape=[1, 5, 5, 7], out_channels=5, kernel=3)),
    "conv_k_48_left_shift": ("conv", dict(in_shape=[1, 4, 5, 16], out_channels=6, kernel=(1, 3),
                                          input_scale=0.5, weight_scale_range=(0.5, 2.0),
                                          output_scale=1e-4)),
    # depthwise: 16-channel blocks, the rest, several passes, padding read as zero points
    "dw_48_dilated_zp_min": ("dw", dict(in_shape=[1, 7, 6, 48], kernel=3, dilation=2,
                                        input_zero_point=-128)),
    "dw_150_5x5_stride2": ("dw", dict(in_shape=[1, 9, 8, 150], kernel=5, stride=2)),
    "dw_one_channel_multiplier_24": ("dw", dict(in_shape=[1, 9, 8, 1], depth_multiplier=24,
                                                kernel=3, stride=2)),
    "dw_32_left_shift": ("dw", dict(in_shape=[1, 5, 5, 32], kernel=3, input_scale=0.5,
                                    weight_scale_range=(0.5, 2.0), output_scale=1e-4)),
    # K <= 64 over windows spanning more than 256 bytes: two u16-offset gathers per block
    "conv_wide_rows_stride2": ("conv", dict(in_shape=[1, 10, 50, 3], out_channels=8, kernel=3, stride=2)),
    "conv_wide_rows_dilated": ("conv", dict(in_shape=[1, 9, 30, 4], out_channels=6, kernel=3, dilation=2,
                                            input_zero_point=-128)),
    # depthwise, 1/2/4/8 channels: 16 / C output pixels per vector (load at stride 1, gather
    # otherwise), borders one pixel at a time; 16-channel blocks
    "dw_8_channels": ("dw", dict(in_shape=[1, 7, 9, 8], kernel=3)),
    "dw_8_channels_left_shift": ("dw", dict(in_shape=[1, 5, 6, 8], kernel=3, input_scale=0.5,
                                            weight_scale_range=(0.5, 2.0), output_scale=1e-4)),
    "dw_4_channels_stride2": ("dw", dict(in_shape=[1, 9, 12, 4], kernel=3, stride=2)),
    "dw_2_channels_5x5_dilated": ("dw", dict(in_shape=[1, 11, 13, 2], kernel=5, dilation=2,
                                             input_zero_point=-128)),
    "dw_1_channel_valid_stride3": ("dw", dict(in_shape=[1, 10, 40, 1], kernel=(3, 2), stride=(1, 3),
                                              padding="VALID")),
    # depthwise 3x3 over a zero-point-padded copy (mve.c dwr_*): 16-channel blocks at
    # strides 1 and 2, valid and dilated windows, odd sizes; 1/2/4/8 channels at stride 1
    # with a partial last group; a clamp (RELU6); shifts that are not all right shifts
    # (the older kernels); batches
    "dw3_16_stride1": ("dw", dict(in_shape=[1, 7, 9, 16], kernel=3)),
    "dw3_32_stride2_odd": ("dw", dict(in_shape=[1, 9, 7, 32], kernel=3, stride=2)),
    "dw3_48_valid": ("dw", dict(in_shape=[1, 6, 8, 48], kernel=3, padding="VALID")),
    "dw3_64_stride2_even": ("dw", dict(in_shape=[1, 8, 6, 64], kernel=3, stride=2, input_zero_point=127)),
    "dw3_16_relu6": ("dw", dict(in_shape=[1, 5, 6, 16], kernel=3, activation="RELU6")),
    "dw3_16_batches": ("dw", dict(in_shape=[2, 4, 5, 16], kernel=3)),
    "dw3_1_channel": ("dw", dict(in_shape=[1, 6, 21, 1], kernel=3)),
    "dw3_2_channels_dilated": ("dw", dict(in_shape=[1, 7, 11, 2], kernel=3, dilation=2)),
    "dw3_8_channels_relu": ("dw", dict(in_shape=[1, 5, 5, 8], kernel=3, activation="RELU")),
    "dw3_16_saturating": ("dw", dict(in_shape=[1, 5, 5, 16], kernel=3, output_scale=2e-3)),
    # 1x1 stride 1, two pixels x four channels (mve.c pw_*): k 8, 16, 32, 48, 64, 128; odd
    # pixel counts; left shifts; channel counts not a multiple of 4 (the older kernels)
    "pw_k8_odd_pixels": ("conv", dict(in_shape=[1, 5, 7, 8], out_channels=16, kernel=1)),
    "pw_k16": ("conv", dict(in_shape=[1, 4, 6, 16], out_channels=32, kernel=1)),
    "pw_k32_left_shift": ("conv", dict(in_shape=[1, 3, 5, 32], out_channels=8, kernel=1, input_scale=0.5,
                                      weight_scale_range=(0.5, 2.0), output_scale=1e-4)),
    "pw_k48_batches": ("conv", dict(in_shape=[2, 3, 3, 48], out_channels=12, kernel=1)),
    "pw_k64_relu": ("conv", dict(in_shape=[1, 6, 6, 64], out_channels=20, kernel=1, activation="RELU")),
    "pw_k128_out_10": ("conv", dict(in_shape=[1, 3, 3, 128], out_channels=10, kernel=1)),
    "pw_k128_saturating": ("conv", dict(in_shape=[1, 3, 4, 128], out_channels=8, kernel=1, output_scale=1e-3)),
    # small-K convs over an im2col copy of the padded input (mve.c cv_run): windows wider than
    # 256 bytes (vww's first layer), odd pixel counts, bands of rows, left shifts, RELU6
    "cv_k27_stride2_wide": ("conv", dict(in_shape=[1, 20, 50, 3], out_channels=8, kernel=3, stride=2)),
    "cv_k27_odd_pixels": ("conv", dict(in_shape=[1, 7, 45, 3], out_channels=12, kernel=3)),
    "cv_k36_dilated_relu6": ("conv", dict(in_shape=[1, 9, 40, 4], out_channels=4, kernel=3, dilation=2,
                                          activation="RELU6", input_zero_point=-128)),
    "cv_k48_left_shift": ("conv", dict(in_shape=[1, 6, 30, 16], out_channels=8, kernel=(3, 1), input_scale=0.5,
                                       weight_scale_range=(0.5, 2.0), output_scale=1e-4)),
    "cv_k18_batches_valid": ("conv", dict(in_shape=[2, 8, 90, 2], out_channels=16, kernel=3, padding="VALID")),
    "cv_k36_two_bands_odd_width": ("conv", dict(in_shape=[1, 60, 45, 4], out_channels=8, kernel=3)),
    "cv_k40_kws_like": ("conv", dict(in_shape=[1, 49, 10, 1], out_channels=16, kernel=(10, 4), stride=2)),
    "fc_depth_100_units_13": ("fc", dict(in_shape=[2, 100], units=13, per_channel=True)),
    "add_same_shape_tail": ("add", dict(shape_a=[1, 5, 7, 3], shape_b=[1, 5, 7, 3], scale_a=0.05, scale_b=0.004)),
    "add_100x_relu": ("add", dict(shape_a=[1, 4, 8, 8], shape_b=[1, 4, 8, 8], scale_a=0.001, scale_b=0.1,
                                  activation="RELU", zero_point_a=-128, zero_point_b=127)),
    "add_saturating": ("add", dict(shape_a=[1, 4, 4, 3], shape_b=[1, 4, 4, 3], scale_a=0.05, scale_b=0.02,
                                   output_scale=1e-3)),
    "add_broadcast": ("add", dict(shape_a=[1, 5, 7, 4], shape_b=[1, 1, 1, 4])),
}
BUILDERS = {"conv": tb.conv2d_model, "dw": tb.depthwise_model, "fc": tb.fully_connected_model,
            "add": lambda rng, shape_a, shape_b, **kw: tb.add_model(rng, shape_a, shape_b, **kw)}


def all_cases():
    out = {}
    for kind, params in (("conv", CONV_CASES), ("dw", DW_CASES), ("fc", FC_CASES)):
        for param in params:
            out[f"{kind}-{param.id}"] = (kind, param.values[0], param.id)
    for name, (kind, kw) in EXTRA.items():
        out[name] = (kind, kw, name)
    return out


CASES = all_cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_channel_op_on_board(board, name):
    kind, kw, seed_id = CASES[name]
    rng = rng_for(seed_id)
    model = BUILDERS[kind](rng, **kw)
    blob = edge_dla.convert(model)
    board.load(blob, progress=False)
    host = edge_dla.Interpreter(model_content=blob)
    for pattern in PATTERNS:
        inputs = make_inputs(model, rng, pattern)
        got, want = board.invoke(inputs), run_tflm(model, inputs)
        for d, x in zip(host.get_input_details(), inputs):
            host.set_tensor(d["index"], x)
        host.invoke()
        for k, (y, w) in enumerate(zip(got, want)):
            np.testing.assert_array_equal(y.reshape(w.shape), w, err_msg=f"{name} {pattern} output {k}")
            np.testing.assert_array_equal(y.reshape(w.shape), host.get_tensor(host.get_output_details()[k]["index"]).reshape(w.shape))
        assert board.last_counters == [{c: row[c] for c in p.COUNTER_FIELDS} for row in host.profile()["layers"]]


@pytest.mark.parametrize("cin", [8, 16, 32, 48])
def test_depthwise_min_weights_on_board(board, cin):
    """Depthwise with -128 weights and -128 inputs: two products of 16384 overflow int16,
    so the MVE kernel must add such taps one at a time; board == TFLM == host."""
    from edge_dla.prune import rewrite_weights, weight_buffers
    rng = rng_for(f"dw_min_weights_{cin}")
    model = tb.depthwise_model(rng, [1, 6, 7, cin], kernel=3, input_zero_point=0)
    (b, (_, _, shape)), = weight_buffers(model).items()
    w = rng.integers(-128, 128, size=shape).astype(np.int8)
    w[..., ::3] = -128
    model = rewrite_weights(model, {b: w})
    blob = edge_dla.convert(model)
    board.load(blob, progress=False)
    host = edge_dla.Interpreter(model_content=blob)
    for x in (np.full(tb.input_shapes(model)[0][0], -128, np.int8), make_inputs(model, rng, "random")[0]):
        got, want = board.invoke([x]), run_tflm(model, [x])
        host.set_tensor(host.get_input_details()[0]["index"], x)
        host.invoke()
        np.testing.assert_array_equal(got[0].reshape(want[0].shape), want[0])
        np.testing.assert_array_equal(got[0].reshape(-1), host.get_tensor(host.get_output_details()[0]["index"]).reshape(-1))


@pytest.mark.parametrize("name,kind,kw", [
    ("dw3_16", "dw", dict(in_shape=[1, 7, 8, 16], kernel=3)),
    ("dw3_32_stride2", "dw", dict(in_shape=[1, 9, 8, 32], kernel=3, stride=2)),
    ("dw3_16_dilated_valid", "dw", dict(in_shape=[2, 8, 7, 16], kernel=3, dilation=2, padding="VALID")),
    ("dw3_8", "dw", dict(in_shape=[1, 6, 9, 8], kernel=3)),
    ("pw_k16", "conv", dict(in_shape=[1, 5, 5, 16], out_channels=8, kernel=1)),
])
def test_zero_activation_counts_on_board(board, name, kind, kw):
    """Layers flagged to skip zero-point activations: the depthwise kernel over a padded
    copy counts the zero points its taps read on that copy; board == host, outputs == TFLM,
    for inputs all zero point, none, and half at random."""
    from test_act_sparsity import flag_mac_ops
    rng = rng_for(f"act_{name}")
    model = BUILDERS[kind](rng, input_zero_point=-5, **kw)
    blob = flag_mac_ops(edge_dla.convert(model))
    board.load(blob, progress=False)
    host = edge_dla.Interpreter(model_content=blob)
    shape = tb.input_shapes(model)[0][0]
    for x in (np.full(shape, -5, np.int8), rng.integers(-4, 127, size=shape).astype(np.int8),
              np.where(rng.random(shape) < 0.5, -5, rng.integers(-128, 128, size=shape)).astype(np.int8)):
        got, want = board.invoke([x]), run_tflm(model, [x])
        host.set_tensor(host.get_input_details()[0]["index"], x)
        host.invoke()
        np.testing.assert_array_equal(got[0].reshape(want[0].shape), want[0])
        rows = host.profile()["layers"]
        assert board.last_counters == [{c: row[c] for c in p.COUNTER_FIELDS} for row in rows]
        assert sum(r["macs_skipped_act"] for r in rows) > 0 or (x != -5).all()
