"""DenseA: a random projection that can hand its result on to a DenseB."""

import tensorflow as tf
from tensorflow import keras

# Needed only when chain=True, but imported at module level. layer_b imports
# DenseA from this module at *its* module level, which closes the loop.
from .layer_b import DenseB


class DenseA(keras.layers.Layer):
    def __init__(self, units=32, chain=False, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.next_layer = DenseB(units=max(1, units // 2)) if chain else None

    def build(self, input_shape):
        self.kernel = tf.random.normal((input_shape[-1], self.units))

    def call(self, inputs):
        out = tf.matmul(inputs, self.kernel)
        return self.next_layer(out) if self.next_layer is not None else out
