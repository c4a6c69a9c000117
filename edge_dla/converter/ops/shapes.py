"""Shape helpers shared by the data-movement lowerings (not an op family)."""


def rank4(shape):
    """A shape of rank <= 4 right-aligned into 4 dims (leading 1s), as TFLite extends shapes."""
    shape = tuple(int(d) for d in shape)
    return (1,) * (4 - len(shape)) + shape


def operand(low, idx, shape=None):
    """View of tensor idx (a constant's bytes or an activation) with another shape of equal size."""
    t = low.graph.tensors[idx]
    if low.is_const(idx):
        data = low.const_data(idx)
        return low.constant(t.name, data.reshape(shape if shape is not None else data.shape))
    return low.activation(idx, shape)
