"""Entry point: build a CustomModel and run it (fails at import time)."""

import tensorflow as tf

from basemodels.custom import CustomModel

if __name__ == "__main__":
    model = CustomModel()
    print(model.report)
    print(model(tf.random.normal((1, 100))))
