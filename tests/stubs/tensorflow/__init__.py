"""A tiny stand-in for TensorFlow, just enough to run impviz's Keras samples.

Only what the samples touch exists: tf.matmul, tf.constant, tf.random.normal,
tf.keras.layers.Layer, tf.keras.Model and tf.keras.activations.relu/sigmoid/get.
Tensors are plain nested lists of floats; nothing here is fast or complete.
"""

from ._tensor import Tensor, constant, matmul
from . import random
from . import keras

__version__ = "0.0+impviz.stub"
__all__ = ["Tensor", "constant", "matmul", "random", "keras"]
