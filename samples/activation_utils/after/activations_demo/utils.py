"""Helpers: look an activation up by name, or wrap it in a layer."""

import tensorflow.keras.activations as activations

# Safe now: the layer module imports this module only inside call(), long
# after both modules have finished loading.
from activations_demo.layers import ConfigurableActivation

_BY_NAME = {"relu": activations.relu, "sigmoid": activations.sigmoid}


def get_activation_function(name="relu"):
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; expected one of {sorted(_BY_NAME)}") from None


def build_activation_layer(name="relu"):
    return ConfigurableActivation(activation_name=name)
