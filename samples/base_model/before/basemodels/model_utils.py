"""Helpers for BaseModel and its subclasses."""

from . import base

# Evaluated while this module loads. When base.py is the module that started
# the import, base is still half-built here and has no BaseModel yet.
SUPPORTED_TYPES = (base.BaseModel,)


def summarize(model):
    if not isinstance(model, SUPPORTED_TYPES):
        raise TypeError(f"summarize() expects a BaseModel, got {type(model).__name__}")
    return f"{type(model).__name__} '{model.name}'"
