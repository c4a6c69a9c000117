"""The outside references: TFLite Micro (bit-exact oracle) and LiteRT (speed peer).

Both are optional imports: edge_dla runs without them; `verify`, the tests and
the benchmark need tflite-micro, and LiteRT is used where installed.
"""
import functools

import numpy as np

from .errors import EdgeDlaError


def tflm_interpreter(tflite_bytes):
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError:
        raise EdgeDlaError("this needs the TFLM reference interpreter: pip install tflite-micro") from None
    try:
        return runtime.Interpreter.from_bytes(bytes(tflite_bytes))
    except Exception as exc:  # TFLM raises RuntimeError with its own log text
        raise EdgeDlaError(f"TFLM could not load the model: {str(exc).strip().splitlines()[-1]}") from None


def run_tflm(tflite_bytes, inputs, interpreter=None):
    """Outputs of TFLM for one set of inputs (a list of arrays in input order)."""
    it = interpreter or tflm_interpreter(tflite_bytes)
    for i, x in enumerate(inputs):
        it.set_input(x, i)
    it.invoke()
    # TFLM's Python API cannot say how many outputs there are without printing errors.
    return [np.array(it.get_output(i)) for i in range(_n_outputs(bytes(tflite_bytes)))]


@functools.lru_cache(maxsize=8)
def _n_outputs(tflite_bytes):
    from .converter.tflite_reader import read_tflite
    return len(read_tflite(tflite_bytes).outputs)


def litert_interpreter(tflite_bytes, xnnpack=True, num_threads=1):
    """A LiteRT interpreter (XNNPACK delegate by default, or the reference kernels), or None."""
    try:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
    except ImportError:
        try:
            from tflite_runtime.interpreter import Interpreter, OpResolverType
        except ImportError:
            return None
    resolver = OpResolverType.AUTO if xnnpack else OpResolverType.BUILTIN_REF
    try:
        it = Interpreter(model_content=bytes(tflite_bytes), num_threads=num_threads,
                         experimental_op_resolver_type=resolver)
        it.allocate_tensors()
        return it
    except Exception:  # LiteRT refuses some valid TFLM models (person_detect)
        return None


def random_inputs(details, rng):
    """One input per detail: uniform int8 over the full range, or standard normal
    float32 for a float model input (its QUANTIZE saturates what lies outside)."""
    return [rng.standard_normal(tuple(d["shape"])).astype(np.float32) if d["dtype"] == np.float32 else
            rng.integers(-128, 128, size=tuple(d["shape"]), dtype=np.int8) for d in details]
