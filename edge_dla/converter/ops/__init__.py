"""One module per TFLite op family; importing them registers their lowerings."""
from . import add, conv, fully_connected, pool, reshape, softmax  # noqa: F401
from . import activations, elementwise, quantize, reduce  # noqa: F401  (element-wise, activation, reduction)
from . import batch_matmul, concat, gather, pad, resize, slicing, transpose, transpose_conv  # noqa: F401  (data movement)
