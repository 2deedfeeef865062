"""Figures of a sweep's results (matplotlib, saved as files).

1. ``regions_vs_width.png``: effective linear regions / r against the width k, with the
   (32r + 67) / r line of Theorem 4.2 for every r in the sweep;
2. ``success_vs_ratio.png``: the fraction of trials reaching the target population error
   against k / r, with k = 1.3 r marked (Theorem 3.2's regime);
3. ``error_vs_n.png``: exact population error against the sample size n, next to the
   epsilon that Corollary 5.1 guarantees for that n (universal constant C0 = 1 shown);
4. ``example_network.png``: one trained network with its teacher, data, kinks and
   support points.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import InvalidDataError, require

__all__ = ["sweep_figures"]

REQUIRED = ("r", "k", "n", "status", "regions_exact", "population_error", "success")


def _ok(df: object) -> object:
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise InvalidDataError(f"results lack column(s) {', '.join(missing)}: not a pwl_kkt sweep")
    ok = df[df["status"] == "ok"]
    if ok.empty:
        raise InvalidDataError(f"no successful trial among {len(df)} to plot")
    return ok


def sweep_figures(df: object, out_dir: str | Path) -> list[Path]:
    """Draw the four sweep figures from a results DataFrame and save them as PNG files.

    Examples
    --------
    >>> import pandas as pd, tempfile
    >>> df = pd.DataFrame({"r": [1, 1], "k": [4, 8], "n": [20, 20], "status": ["ok"] * 2,
    ...                    "regions_exact": [2, 3], "population_error": [0.1, 0.0],
    ...                    "success": [False, True]})
    >>> [p.name for p in sweep_figures(df, tempfile.mkdtemp())][:3]
    ['regions_vs_width.png', 'success_vs_ratio.png', 'error_vs_n.png']
    """
    require("matplotlib", "plot").use("Agg")
    plt = require("matplotlib.pyplot", "plot")
    from ..setting.bounds import corollary_5_1_epsilon, region_bound

    ok = _ok(df)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []

    fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
    for (r, group), color in zip(
        ok.groupby("r"), plt.rcParams["axes.prop_cycle"].by_key()["color"]
    ):
        ax.scatter(
            group["k"],
            group["regions_exact"] / r,
            s=16,
            color=color,
            alpha=0.7,
            label=f"r = {r}: exact",
        )
        if "regions_tol" in group:
            ax.scatter(
                group["k"],
                group["regions_tol"] / r,
                s=30,
                facecolors="none",
                edgecolors=color,
                label=f"r = {r}: tolerance mode",
            )
        if "limit_regions" in group:  # proven exact counts of the limits (KKT points)
            ax.scatter(group["k"], group["limit_regions"] / r, s=40, marker="x", color=color,
                       label=f"r = {r}: proven limit")
        if "optimum_regions" in group:
            ax.scatter(group["k"], group["optimum_regions"] / r, s=30, marker="^",
                       facecolors="none", edgecolors=color, label=f"r = {r}: global optimum")
        ks = np.sort(group["k"].unique())
        ax.plot(ks, [region_bound(int(r)) / r] * len(ks), "--", color=color, lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("width k")
    ax.set_ylabel("effective linear regions / r")
    ax.set_title("Effective regions (trained, proven limit, optimum) vs (32r + 67)/r (dashed)")
    ax.legend(fontsize="small")
    paths.append(_save(fig, out / "regions_vs_width.png", plt))

    fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
    # Every trial counts: one that failed (e.g. training did not separate the sample) is
    # not a success.
    won = (df["status"] == "ok") & df["success"].eq(True)  # a failed trial's success is NaN
    every = df.assign(ratio=df["k"] / df["r"], won=won)
    rate = every.groupby("ratio")["won"].mean()
    ax.plot(rate.index, rate.values, "o-")
    ax.axvline(1.3, color="tab:red", ls="--", lw=1, label="k = 1.3 r (Theorem 3.2)")
    ax.set_xscale("log")
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel("k / r")
    ax.set_ylabel(f"success rate (population error <= target, {len(df)} trials)")
    ax.legend(fontsize="small")
    paths.append(_save(fig, out / "success_vs_ratio.png", plt))

    fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
    for r, group in ok.groupby("r"):
        med = group.groupby("n")["population_error"].median()
        ax.plot(med.index, np.maximum(med.values, 1e-4), "o-", label=f"r = {r}: median error")
        ns = np.array(sorted(group["n"].unique()))
        eps = [corollary_5_1_epsilon(int(n), 0.1, int(r), C0=1.0) for n in ns]
        ax.plot(ns, eps, ":", label=f"r = {r}: Corollary 5.1 (C0 = 1, delta = 0.1)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("sample size n")
    ax.set_ylabel("population error P[sign N != sign N*]")
    ax.legend(fontsize="small")
    paths.append(_save(fig, out / "error_vs_n.png", plt))

    if {"net_json", "teacher_json", "data_json"} <= set(ok.columns):
        paths.append(_example_panel(ok, out / "example_network.png", plt))
    return paths


def _example_panel(ok: object, path: Path, plt: object) -> Path:
    from ..model.data import Dataset
    from ..model.network import Network
    from ..plot import plot_network

    row = ok.sort_values(["r", "k", "n"]).iloc[-1]
    net = Network(*(np.array(json.loads(row["net_json"])[key]) for key in "wbv"))
    teacher_obj = json.loads(row["teacher_json"])
    teacher = Network(*(teacher_obj[key] for key in "wbv"))
    data_obj = json.loads(row["data_json"])
    data = Dataset(np.array(data_obj["x"], dtype=float), data_obj["y"])
    lambdas = json.loads(row["lambdas_json"]) if row.get("lambdas_json") else None
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    # The trained network is scaled to margin 1 so that it and the teacher share an axis.
    plot_network(net, data, lambdas=lambdas, teacher=teacher, ax=ax)
    ax.set_title(
        f"r = {row['r']}, k = {row['k']}, n = {row['n']}: {row['regions_exact']} effective regions"
    )
    return _save(fig, path, plt)


def _save(fig: object, path: Path, plt: object) -> Path:
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
