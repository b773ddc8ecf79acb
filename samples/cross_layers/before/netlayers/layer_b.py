"""DenseB: a smaller projection that checks what feeds it."""

import tensorflow as tf
from tensorflow import keras

# Imported only for the isinstance() check in describe(); this is the other
# half of the cycle with layer_a.
from .layer_a import DenseA


class DenseB(keras.layers.Layer):
    def __init__(self, units=16, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = tf.random.normal((input_shape[-1], self.units))

    def call(self, inputs):
        return tf.matmul(inputs, self.kernel)

    def describe(self, upstream):
        source = "a DenseA" if isinstance(upstream, DenseA) else type(upstream).__name__
        return f"{self.name}: {self.units} units fed by {source}"
