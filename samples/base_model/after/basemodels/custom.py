"""CustomModel: an identity model built on BaseModel; it calls the helper itself."""

from basemodels.base import BaseModel
from basemodels.model_utils import summarize


class CustomModel(BaseModel):
    def __init__(self, name="custom_model", **kwargs):
        super().__init__(name=name, **kwargs)
        self.report = summarize(self)

    def call(self, inputs):
        return inputs
