"""The host's decode-once cache for compressed weights changes nothing but speed:
outputs and every counter equal the decoding path the firmware runs."""
import numpy as np

import edge_dla
from conftest import MODELS, model_bytes
from edge_dla._native import NativeModel, lib


def test_cached_decode_matches_decoding_every_time(models_dir):
    blob = edge_dla.convert(model_bytes("vww_96_int8"))
    assert any(layer["op"] == "DMA_DECODE" for layer in edge_dla.inspect(blob)["layers"])
    capacity = edge_dla.blob.read_header(blob).npu["scratchpad_capacity"]
    cached, decoding = NativeModel(blob, capacity), NativeModel(blob, capacity, decode_cache=False)
    assert lib.edla_decode_cache_bytes(cached._model) > 0
    golden = np.load(MODELS / "golden" / "vww_96_int8.npz")
    it = edge_dla.Interpreter(model_content=blob)
    offset = it._tensors[it.get_input_details()[0]["index"]]["offset"]
    out = it._tensors[it.get_output_details()[0]["index"]]
    for k in range(3):
        results = []
        for native in (cached, decoding):
            x = golden[f"input_{k}"].reshape(-1).view(np.uint8)
            native.scratch[offset:offset + x.size] = x
            native.invoke()
            results.append((native.scratch[out["offset"]:out["offset"] + out["bytes"]].copy(),
                            native.counters.copy()))
        np.testing.assert_array_equal(results[0][0], results[1][0])
        np.testing.assert_array_equal(results[0][0].view(np.int8), golden[f"output_{k}"].reshape(-1))
        assert (results[0][1] == results[1][1]).all()
