"""Entry point: a sigmoid layer built through the helper (fails at import time)."""

import tensorflow as tf

from activations_demo.utils import build_activation_layer

if __name__ == "__main__":
    layer = build_activation_layer("sigmoid")
    print(layer(tf.random.normal((1, 100))))
