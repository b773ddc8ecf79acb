"""CustomModel: an identity model built on BaseModel."""

from .base import BaseModel


class CustomModel(BaseModel):
    def __init__(self, name="custom_model", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, inputs):
        return inputs
