"""Inputs for checks: tensors from the check's seeded generator, or from given values."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch


def randn(rng: np.random.Generator, *shape: int, dtype: torch.dtype = torch.float32, scale: float = 1.0,
          shift: float = 0.0) -> torch.Tensor:
    """A tensor of standard normal draws from ``rng`` (the check's seed), times ``scale`` plus
    ``shift``, computed in float64 and then cast to ``dtype``; ``shape`` may be empty."""
    values = rng.standard_normal(shape) * scale
    return torch.from_numpy(np.asarray(values + shift if shift else values)).to(dtype)


def as_tensor(values: Any, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``values`` (an array, nested lists, a tensor) as a tensor of ``dtype``."""
    return torch.as_tensor(np.asarray(values)).to(dtype)
