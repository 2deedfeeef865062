"""What one evaluation of the empirical loss returns, and its numerically safe loss terms.

Shared by the univariate engine (:mod:`pwl_kkt.training._fastgrad`) and the engine on R^d
(:mod:`pwl_kkt.training._gradnd`): both work in a log frame, ``log l(q_i)`` and
``log(-l'(q_i))`` per margin ``q_i = y_i N(x_i)``, so ``grad L / L`` stays finite when ``L``
itself underflows or overflows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def log_loss_terms(q: np.ndarray, loss: str) -> tuple[np.ndarray, np.ndarray]:
    """``log l(q_i)`` and ``log(-l'(q_i))`` for every margin, without overflow or underflow.

    ``l(q) = exp(-q)`` (``"exp"``) or ``l(q) = log(1 + exp(-q))`` (``"logistic"``).

    Examples
    --------
    >>> log_l, log_dl = log_loss_terms(np.array([0.0]), "logistic")
    >>> bool(np.isclose(log_l[0], math.log(math.log(2)))), float(log_dl[0]) == -math.log(2)
    (True, True)
    """
    if loss == "exp":
        return -q, -q
    u = -q
    with np.errstate(over="ignore", divide="ignore"):
        small = u < -20.0
        # log(softplus(u)) = u + log(1 - e^u / 2 + ...) for very negative u.
        log_l = np.where(small, u + np.log1p(-0.5 * np.exp(np.minimum(u, 0.0))), 0.0)
        big = ~small
        log_l[big] = np.log(np.logaddexp(0.0, u[big]))
    return log_l, -np.logaddexp(0.0, q)


def logsumexp(a: np.ndarray) -> float:
    """``log sum_i exp(a_i)`` shifted by the maximum (the maximum itself if not finite).

    Examples
    --------
    >>> logsumexp(np.array([1000.0, 1000.0])) == 1000.0 + math.log(2)
    True
    """
    m = float(np.max(a))
    if not math.isfinite(m):
        return m
    return m + math.log(float(np.sum(np.exp(a - m))))


@dataclass(frozen=True)
class Evaluation:
    """Everything one training step needs at one parameter vector.

    ``q`` are the margins ``y_i N(x_i)``, ``log_loss`` is ``log L``, ``grad_over_loss``
    holds ``grad L / L`` in the layout of the engine's flat parameter vector (concatenated,
    it is that vector's gradient), ``act`` the engine's record of which neurons are active
    where (``None`` when the engine recomputes it on demand), and ``on_kink`` whether a data
    point sits exactly on a neuron's kink (then the flow took the minimum-norm Clarke element).
    """

    q: np.ndarray
    log_loss: float
    grad_over_loss: tuple[np.ndarray, ...]
    act: object = None
    on_kink: bool = False
