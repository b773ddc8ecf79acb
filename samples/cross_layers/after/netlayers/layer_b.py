"""DenseB: a smaller projection. Knows nothing about DenseA."""

import tensorflow as tf
from tensorflow import keras


class DenseB(keras.layers.Layer):
    def __init__(self, units=16, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = tf.random.normal((input_shape[-1], self.units))

    def call(self, inputs):
        return tf.matmul(inputs, self.kernel)
