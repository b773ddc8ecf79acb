"""Entry point: build a chained DenseA and run it (fails at import time)."""

import tensorflow as tf

from netlayers.layer_a import DenseA

if __name__ == "__main__":
    layer = DenseA(units=8, chain=True)
    print(layer(tf.random.normal((1, 100))))
