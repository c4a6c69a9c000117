"""The edge_dla exception hierarchy.

Every failure a user can cause (a bad model, blob, array or link) raises a
subclass of EdgeDlaError with a message that names what is wrong and where.
The CLI catches EdgeDlaError and prints one line.
"""


class EdgeDlaError(Exception):
    """Base class of every error edge_dla raises on purpose."""


class ModelError(EdgeDlaError):
    """The .tflite file is malformed or inconsistent (names the field/tensor/op)."""

    def __init__(self, message, *, where=None):
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class UnsupportedError(ModelError):
    """The model is valid TFLite but uses ops, types or parameters edge_dla does not run.

    `problems` lists every issue found, each as a one-line string.
    """

    def __init__(self, problems, *, where=None):
        self.problems = list(problems)
        head = f"{len(self.problems)} unsupported feature(s): " if len(self.problems) > 1 else ""
        super().__init__(head + "; ".join(self.problems), where=where)


class QuantizationError(ModelError):
    """Bad quantization parameters: scale, zero point, per-channel layout."""


class GraphError(ModelError):
    """The graph is not a DAG, or tensors are dangling or aliased illegally."""


class AllocationError(EdgeDlaError):
    """The model does not fit the scratchpad (message names the smallest that would)."""


class BlobError(EdgeDlaError):
    """A blob was refused by the loader; `status` is the C core's status name."""

    def __init__(self, message, status=None):
        self.status = status
        super().__init__(message)


class InputError(EdgeDlaError):
    """An array passed to set_tensor/invoke has the wrong shape, dtype or index."""


class BoardError(EdgeDlaError):
    """The board refused a command or replied with something unexpected."""


class BoardTimeout(BoardError):
    """The board stayed silent past a call's timeout."""


class ProtocolError(BoardError):
    """A frame could not be decoded, or the link kept corrupting it after retries."""
