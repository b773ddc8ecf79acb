"""StackedModel: the one place that puts DenseA and DenseB together.

Both layer modules are complete before this module uses them, and neither
imports the other, so there is no cycle.
"""

from tensorflow import keras

from netlayers.layer_a import DenseA
from netlayers.layer_b import DenseB


class StackedModel(keras.Model):
    def __init__(self, wide=64, narrow=32, **kwargs):
        super().__init__(**kwargs)
        self.first = DenseA(units=wide)
        self.second = DenseB(units=narrow)

    def call(self, inputs):
        return self.second(self.first(inputs))
