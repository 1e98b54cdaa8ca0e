"""Neuron units: the model registry and the fixed-point datapath kernels."""
from .models import (FLAG_ADAPT, FLAG_DUAL, FLAG_SUBTRACT, MODELS, SOURCE, FloatForm, NeuronModel,
                     get_model)

__all__ = ["FLAG_ADAPT", "FLAG_DUAL", "FLAG_SUBTRACT", "MODELS", "SOURCE", "FloatForm", "NeuronModel",
           "get_model"]
