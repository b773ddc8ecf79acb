"""Entry point: run the stacked model on a random batch."""

import tensorflow as tf

from netlayers.model import StackedModel

if __name__ == "__main__":
    model = StackedModel()
    print(model(tf.random.normal((1, 100))))
