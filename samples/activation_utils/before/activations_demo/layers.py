"""ConfigurableActivation: applies an activation chosen by name."""

from tensorflow import keras

from .utils import get_activation_function


class ConfigurableActivation(keras.layers.Layer):
    def __init__(self, activation_name="relu", **kwargs):
        super().__init__(**kwargs)
        self.activation_name = activation_name
        self.activation = get_activation_function(activation_name)

    def call(self, inputs):
        return self.activation(inputs)
