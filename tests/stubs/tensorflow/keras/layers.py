"""keras.layers.Layer: build() once on first call, then call()."""

_counts = {}


class Layer:
    def __init__(self, name=None, trainable=True, **kwargs):
        if kwargs:
            raise TypeError(f"unexpected keyword arguments {sorted(kwargs)}")
        cls = type(self).__name__.lower()
        _counts[cls] = _counts.get(cls, 0) + 1
        self.name = name or f"{cls}_{_counts[cls]}"
        self.trainable = trainable
        self.built = False

    def build(self, input_shape):
        pass

    def call(self, inputs):
        return inputs

    def __call__(self, inputs):
        if not self.built:
            self.build(getattr(inputs, "shape", None))
            self.built = True
        return self.call(inputs)
