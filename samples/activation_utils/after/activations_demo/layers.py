"""ConfigurableActivation: applies an activation chosen by name."""

from tensorflow import keras


class ConfigurableActivation(keras.layers.Layer):
    def __init__(self, activation_name="relu", **kwargs):
        super().__init__(**kwargs)
        self.activation_name = activation_name
        self.activation = None

    def call(self, inputs):
        # Deferred import: activations_demo.utils imports this module at its top,
        # so importing it here at module level would close an import-time cycle.
        # By the time call() runs, both modules are fully initialised.
        from activations_demo.utils import get_activation_function

        if self.activation is None:
            self.activation = get_activation_function(self.activation_name)
        return self.activation(inputs)
