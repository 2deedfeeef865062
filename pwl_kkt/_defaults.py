"""Defaults shared by the API and the command line (defined once, so they cannot drift).

The CLI's ``--help`` prints these values; the functions use them as keyword defaults.
"""

from __future__ import annotations

#: Training (:func:`pwl_kkt.train`, ``pwl-kkt train``): step budget and relative step size.
TRAIN_STEPS = 2000
TRAIN_LR = 0.01
#: Assumption 2.1 initialization scales (:func:`pwl_kkt.init_network`, ``pwl-kkt train``).
SIGMA_H = 1.0
SIGMA_O = 0.1
#: Seed used when none is given to a seeded command or function that needs one.
SEED = 0
#: The demo (:func:`pwl_kkt.demo.run_demo`, ``pwl-kkt demo``): teacher sign changes, sample
#: size, student width and gradient-flow steps.
DEMO_R = 2
DEMO_N = 40
DEMO_K = 30
DEMO_STEPS = 3_000
