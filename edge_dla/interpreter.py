"""edge_dla.Interpreter: TFLite's Interpreter API over a blob, on the host C
core or on a board.

    it = edge_dla.Interpreter(model_path="kws.edla")     # or a .tflite: converted first
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()                                            # one call into C
    y = it.get_tensor(it.get_output_details()[0]["index"])
"""
import numpy as np

from . import blob as fmt
from .errors import InputError, ModelError


_DTYPES = {"int8": np.int8, "float32": np.float32}  # model edges: int8, or float32 (QUANTIZE/DEQUANTIZE)


def _details(entry):
    q = entry["quantization"]
    return {
        "name": entry["name"],
        "index": entry["index"],
        "shape": np.array(entry["shape"], dtype=np.int32),
        "shape_signature": np.array(entry["shape"], dtype=np.int32),
        "dtype": _DTYPES[entry.get("dtype", "int8")],
        # TFLite reports (0.0, 0) for an unquantized (float) tensor
        "quantization": (q["scales"][0], q["zero_points"][0]) if q["scales"] else (0.0, 0),
        "quantization_parameters": {
            "scales": np.array(q["scales"], dtype=np.float32),
            "zero_points": np.array(q["zero_points"], dtype=np.int32),
            "quantized_dimension": q["quantized_dimension"],
        },
    }


class Interpreter:
    def __init__(self, model_path=None, model_content=None, board=None):
        if (model_path is None) == (model_content is None):
            raise InputError("give exactly one of model_path and model_content")
        if model_path is not None:
            try:
                with open(model_path, "rb") as f:
                    model_content = f.read()
            except OSError as exc:
                raise ModelError(f"cannot read model: {exc.strerror}", where=str(model_path)) from None
        content = bytes(model_content)
        if content[4:8] == b"TFL3":  # a .tflite: convert with default options
            from .converter import convert
            content = convert(content)
        self._blob = content
        info = fmt.read_blob(content)
        self._tensors = info["tensors"]
        meta = info["meta"]
        self._inputs = [_details(e) for e in meta.get("inputs", [])]
        self._outputs = [_details(e) for e in meta.get("outputs", [])]
        if [d["index"] for d in self._inputs] != info["inputs"] or \
                [d["index"] for d in self._outputs] != info["outputs"]:
            raise ModelError("blob metadata does not match its I/O table")
        self._layers = meta.get("layers", [])
        self._board = board
        self._native = None
        if board is None:
            from ._native import NativeModel
            self._native = NativeModel(content, info["header"].npu["scratchpad_capacity"])
            # the outputs land in these arrays (get_tensor hands out copies)
            self._out_arrays = [np.empty(d["shape"], d["dtype"]) for d in self._outputs]
            self._native.bind_io(len(self._inputs), self._out_arrays)
            self._run = self._native.io_invoker()
            self._in_position = {d["index"]: i for i, d in enumerate(self._inputs)}
        self._outputs_bound = False  # host, once run: every input set, _values holds the output arrays
        self._values = {}
        self._missing = {d["index"] for d in self._inputs}
        self._allocated = False

    # -- TFLite API -------------------------------------------------------------

    def allocate_tensors(self):
        if self._board is not None and not self._allocated:
            self._board.load(self._blob)
        self._allocated = True

    def get_input_details(self):
        return [dict(d) for d in self._inputs]

    def get_output_details(self):
        return [dict(d) for d in self._outputs]

    def get_signature_list(self):
        return {}

    def set_tensor(self, tensor_index, value):
        detail = self._detail(tensor_index, self._inputs, "input")
        value = np.asarray(value)
        if value.dtype != detail["dtype"]:
            raise InputError(f"input {tensor_index} '{detail['name']}' wants {np.dtype(detail['dtype']).name}, "
                             f"got {value.dtype}")
        if tuple(value.shape) != tuple(detail["shape"]):
            raise InputError(f"input {tensor_index} '{detail['name']}' wants shape {detail['shape'].tolist()}, "
                             f"got {list(value.shape)}")
        self._values[tensor_index] = np.ascontiguousarray(value).copy()
        if self._native is not None:
            self._native.set_input(self._in_position[tensor_index], self._values[tensor_index])
        self._missing.discard(tensor_index)

    def invoke(self):
        if self._outputs_bound:  # host, inputs set and outputs bound: only the call into C
            status = self._run()
            if status:
                self._native.check_status(status)
            return
        if self._missing:
            missing = [d["name"] for d in self._inputs if d["index"] in self._missing]
            raise InputError(f"set_tensor was not called for input(s): {', '.join(missing)}")
        if self._board is not None:
            if not self._allocated:
                self.allocate_tensors()
            outs = self._board.invoke([self._values[d["index"]] for d in self._inputs])
            for d, out in zip(self._outputs, outs):
                self._values[d["index"]] = np.asarray(out, dtype=d["dtype"]).reshape(d["shape"])
            self._counters = self._board.last_counters
            return
        status = self._run()  # inputs in, run, outputs out: one call into C
        if status:
            self._native.check_status(status)
        self._bind_outputs()

    def _bind_outputs(self):
        for d, out in zip(self._outputs, self._out_arrays):
            self._values[d["index"]] = out
        self._outputs_bound = True

    def invoke_batch(self, *inputs):
        """Runs N inferences (an edge_dla addition, for data sets): one array per
        input, in get_input_details() order, each of shape (N, *input shape) with
        that input's leading batch dimension of 1 dropped if it has one, i.e.
        N inputs stacked (np.stack). Returns one array per output, N outputs
        stacked the same way. On the host the whole batch is one call into C;
        on a board the inferences run one by one. Afterwards get_tensor and
        profile() give the last inference's tensors and counters."""
        if len(inputs) != len(self._inputs):
            raise InputError(f"invoke_batch wants {len(self._inputs)} input array(s), got {len(inputs)}")
        def item(shape):  # one input's or output's shape within the batch
            shape = tuple(int(v) for v in shape)
            return shape[1:] if shape[:1] == (1,) else shape
        batch, n = [], None
        for d, value in zip(self._inputs, inputs):
            value = np.asarray(value)
            item_shape = item(d["shape"])
            if value.dtype != d["dtype"] or value.ndim != len(item_shape) + 1 or value.shape[1:] != item_shape:
                raise InputError(f"input {d['index']} '{d['name']}' wants a {np.dtype(d['dtype']).name} batch "
                                 f"of shape [N, {', '.join(map(str, item_shape))}], got {value.dtype} "
                                 f"{list(value.shape)}")
            if n is not None and value.shape[0] != n:
                raise InputError(f"input {d['index']} '{d['name']}' holds {value.shape[0]} inputs, "
                                 f"the first holds {n}")
            n = value.shape[0]
            batch.append(np.ascontiguousarray(value))
        if not n:
            raise InputError("invoke_batch wants at least one input set (N >= 1)")
        outs = [np.empty((n, *item(d["shape"])), d["dtype"]) for d in self._outputs]
        if self._native is not None:
            self._native.invoke_batch(batch, outs)
        else:
            for k in range(n):
                for d, x in zip(self._inputs, batch):
                    self.set_tensor(d["index"], x[k].reshape(d["shape"]))
                self.invoke()
                for d, y in zip(self._outputs, outs):
                    y[k] = self._values[d["index"]].reshape(y.shape[1:])
        for d, x in zip(self._inputs, batch):
            self.set_tensor(d["index"], x[-1].reshape(d["shape"]))
        if self._native is not None:  # the last outputs, where get_tensor reads them
            for out, y in zip(self._out_arrays, outs):
                out.reshape(-1)[:] = y[-1].reshape(-1)
            self._bind_outputs()
        return outs

    def get_tensor(self, tensor_index):
        detail = self._detail(tensor_index, self._inputs + self._outputs, "input or output")
        if tensor_index not in self._values:
            raise InputError(f"tensor {tensor_index} '{detail['name']}' has no value yet: call invoke()")
        return self._values[tensor_index].copy()

    # -- edge_dla additions ---------------------------------------------------------

    def profile(self):
        """Per-layer and total counters of the last invoke, as measured by the core:
        macs executed, macs_skipped (zero weights), macs_skipped_act (zero-point
        activations), their sum the dense count; dma_bytes; cycles (docs/cycle-model.md).

        Each layer row names its unit ("NPU", or "CPU" for layers without a MAC-array
        fit); "npu" and "cpu" total each unit's layers apart, as Vela reports CPU
        fallbacks, and "total" sums both."""
        if self._board is not None:
            counters = getattr(self, "_counters", None) or []
            rows = [dict(c) for c in counters]
        else:
            rows = [{k: int(c[k]) for k in c.dtype.names} for c in self._native.counters]
        for row, layer in zip(rows, self._layers):
            row["op"] = layer["op"]
            row["unit"] = layer.get("unit", "NPU")
            if "tflite_op" in layer:
                row["tflite_op"] = layer["tflite_op"]
        keys = ("macs", "macs_skipped", "macs_skipped_act", "dma_bytes", "cycles")

        def totals(selected):
            return {"layers": len(selected), **{k: sum(r[k] for r in selected) for k in keys}}
        return {"layers": rows, "total": {k: v for k, v in totals(rows).items() if k in keys},
                "npu": totals([r for r in rows if r.get("unit", "NPU") == "NPU"]),
                "cpu": totals([r for r in rows if r.get("unit") == "CPU"])}

    @staticmethod
    def _detail(index, details, role):
        for d in details:
            if d["index"] == index:
                return d
        raise InputError(f"tensor index {index} is not a model {role} "
                         f"(valid: {[d['index'] for d in details]})")
