"""A sweep's results summarized per (r, k): a table for the terminal, LaTeX and notebooks.

One row per teacher width ``r`` and student width ``k``: the number of trials (and how many
failed), the success rate (population error at most the sweep's target), the exact effective
linear regions (mean and maximum) next to the bound ``32 r + 67`` of Theorem 4.2 of Safran,
Vardi & Lee (NeurIPS 2022), and the mean exact population error.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..certificate import latex_table
from ..errors import InvalidDataError
from ..setting.bounds import region_bound

__all__ = ["SweepSummary", "sweep_summary"]

_COLUMNS = ("r", "k", "trials", "failed", "success rate", "regions mean", "regions max",
            "32r + 67", "mean error")


@dataclass(frozen=True)
class SweepSummary:
    """Per-(r, k) summary of a sweep (see the module docstring); ``rows`` follow ``columns``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"r": [1, 1, 1], "k": [4, 4, 8], "n": [20] * 3,
    ...                    "status": ["ok", "failed", "ok"], "regions_exact": [2, None, 3],
    ...                    "population_error": [0.1, None, 0.0],
    ...                    "success": [False, None, True]})
    >>> print(sweep_summary(df).table())
    r  k  trials  failed  success rate  regions mean  regions max  32r + 67  mean error
    1  4       2       1          0.00          2.00            2        99      0.1000
    1  8       1       0          1.00          3.00            3        99      0.0000
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]

    def _cells(self) -> list[tuple[str, ...]]:
        formats = ("{}", "{}", "{}", "{}", "{:.2f}", "{:.2f}", "{}", "{}", "{:.4f}")
        return [
            tuple("-" if v is None else f.format(v) for f, v in zip(formats, row))
            for row in self.rows
        ]

    def table(self) -> str:
        """Plain-text table."""
        cells = [self.columns, *self._cells()]
        widths = [max(len(r[c]) for r in cells) for c in range(len(self.columns))]
        return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells)

    def to_latex(self) -> str:
        r"""A booktabs LaTeX ``tabular`` of the summary.

        Examples
        --------
        >>> s = SweepSummary(("r", "k"), ((1, 4),))
        >>> print(s.to_latex().splitlines()[4])
        \texttt{1} & 4 \\
        """
        return latex_table(list(self.columns), self._cells())

    def to_dict(self) -> dict:
        """JSON-ready form: ``columns`` and ``rows``."""
        return {"columns": list(self.columns), "rows": [list(r) for r in self.rows]}

    def _repr_markdown_(self) -> str:
        lines = ["| " + " | ".join(self.columns) + " |", "|" + "---|" * len(self.columns)]
        lines += ["| " + " | ".join(r) + " |" for r in self._cells()]
        return "\n".join(lines)


def sweep_summary(df: object) -> SweepSummary:
    """Summarize a results DataFrame (:func:`pwl_kkt.experiments.sweep.load_results`) per (r, k).

    Raises
    ------
    InvalidDataError
        The frame lacks the columns of a pwl_kkt sweep.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"r": [2], "k": [10], "status": ["ok"], "regions_exact": [5],
    ...                    "population_error": [0.02], "success": [True]})
    >>> sweep_summary(df).rows
    ((2, 10, 1, 0, 1.0, 5.0, 5, 131, 0.02),)
    """
    need = ("r", "k", "status", "regions_exact", "population_error", "success")
    missing = [c for c in need if c not in getattr(df, "columns", ())]
    if missing:
        raise InvalidDataError(f"results lack column(s) {', '.join(missing)}: not a pwl_kkt sweep")
    rows = []
    for (r, k), group in df.groupby(["r", "k"], sort=True):
        ok = group[group["status"] == "ok"]
        n_ok = len(ok)
        rows.append(
            (
                int(r),
                int(k),
                len(group),
                len(group) - n_ok,
                float(ok["success"].astype(bool).sum()) / len(group),
                float(ok["regions_exact"].mean()) if n_ok else None,
                int(ok["regions_exact"].max()) if n_ok else None,
                region_bound(int(r)),
                float(ok["population_error"].mean()) if n_ok else None,
            )
        )
    return SweepSummary(_COLUMNS, tuple(rows))
