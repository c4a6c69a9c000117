"""The .tflite -> blob converter: reader, checks, lowering, planning, writer."""
from .driver import DEFAULT_NPU, convert

__all__ = ["convert", "DEFAULT_NPU"]
