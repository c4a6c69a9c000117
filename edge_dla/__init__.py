"""edge_dla: convert int8 TFLite models for a microcontroller NPU and run them bit-exactly."""
__version__ = "0.1.0"

from .errors import (AllocationError, BlobError, BoardError, BoardTimeout, EdgeDlaError, GraphError,  # noqa: E402
                     InputError, ModelError, ProtocolError, QuantizationError, UnsupportedError)
from .converter import convert  # noqa: E402
from .interpreter import Interpreter  # noqa: E402
from .inspect import inspect  # noqa: E402

__all__ = ["convert", "Interpreter", "inspect", "EdgeDlaError", "ModelError", "UnsupportedError",
           "QuantizationError", "GraphError", "AllocationError", "BlobError", "InputError", "BoardError",
           "BoardTimeout", "ProtocolError", "__version__"]
