"""Training: gradient flow and gradient descent on the empirical loss.
"""

from .train import (
    TrainingHistory,
    loss_and_grad,
    train,
)

__all__ = [
    "TrainingHistory",
    "loss_and_grad",
    "train",
]
