"""BaseModel: every model in the package derives from this class."""

from tensorflow import keras

# The base class reports itself on construction, so it pulls the helper in at
# module level; the helper needs BaseModel back, which is the cycle.
from .model_utils import summarize


class BaseModel(keras.Model):
    def __init__(self, name="base_model", **kwargs):
        super().__init__(name=name, **kwargs)
        self.report = summarize(self)

    def call(self, inputs):
        raise NotImplementedError("subclasses of BaseModel must implement call()")
