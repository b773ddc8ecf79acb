"""Helpers for BaseModel and its subclasses."""

from .base import BaseModel

SUPPORTED_TYPES = (BaseModel,)


def summarize(model):
    if not isinstance(model, SUPPORTED_TYPES):
        raise TypeError(f"summarize() expects a BaseModel, got {type(model).__name__}")
    return f"{type(model).__name__} '{model.name}'"
