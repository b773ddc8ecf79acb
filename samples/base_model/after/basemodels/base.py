"""BaseModel: every model in the package derives from this class.

It imports nothing from the package, so anything may import it.
"""

from tensorflow import keras


class BaseModel(keras.Model):
    def __init__(self, name="base_model", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, inputs):
        raise NotImplementedError("subclasses of BaseModel must implement call()")
