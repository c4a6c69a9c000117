"""Where activation sparsity pays: flag the MAC layers whose input is a ReLU's output.

With the NPU's zero-activation skip on (blob header EDLA_NPU_ACT_SPARSITY), a
layer flagged EDLA_OP_FLAG_ACT_SPARSE skips the MACs whose activation is the
zero point. Zero points are frequent where the input comes from a layer whose
fused activation clamps at the zero point (RELU, RELU6: act_min == output zero
point), so only those consumers are flagged; elsewhere (model inputs, linear
bottlenecks, residual sums without ReLU) zeros are rare and the skip would only
add the zero test. Outputs never depend on the flag, only the counters do.
"""
from dataclasses import replace

# Consumers the C core lets skip (EDLA_OP_FLAG_ACT_SPARSE), before weights.choose_formats
# turns some of them into their *_SPARSE forms (which keep the flag).
CONSUMERS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")

# Producers with a fused activation clamp: index of act_min in their params (edla.h *_P_ACT_MIN).
ACT_MIN_PARAM = {"CONV_2D": 8, "DEPTHWISE_CONV_2D": 8, "FULLY_CONNECTED": 3, "TRANSPOSE_CONV": 6,
                 "ADD": 10, "AVERAGE_POOL_2D": 6, "MAX_POOL_2D": 6}


def clamps_at_zero_point(layer):
    """The layer's outputs are >= its output zero point: a fused RELU or RELU6."""
    index = ACT_MIN_PARAM.get(layer.kind)
    return (index is not None and not layer.cpu and layer.outputs[0].dtype == "int8"
            and layer.params[index] == layer.outputs[0].zero_point)


def flag_layers(layers):
    """Lowered layers with act_sparse set on the consumers of a zero-point clamp."""
    producer = {}
    for layer in layers:
        for view in layer.outputs:
            if view is not None:
                producer[id(view.buffer)] = layer
    out = []
    for layer in layers:
        x = layer.inputs[0] if layer.inputs else None
        source = producer.get(id(x.buffer)) if x is not None else None
        if layer.kind in CONSUMERS and source is not None and clamps_at_zero_point(source) \
                and x.zero_point == source.outputs[0].zero_point:
            layer = replace(layer, act_sparse=True, info={**layer.info, "act_sparse": True})
        out.append(layer)
    return out
