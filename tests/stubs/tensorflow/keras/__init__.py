"""tf.keras stub: layers.Layer, Model, activations."""

from . import activations
from . import layers
from .models import Model

__all__ = ["activations", "layers", "Model"]
