"""Certificate files: one self-contained JSON file per claim, re-checkable by anyone.

A certificate file holds everything needed to check a claim without the program that made
it: the network and the data (as exact text: ``p/q`` for exact values, Python's
round-tripping ``repr`` for floats), the claim, the proof data (multipliers, Farkas vectors,
an improving network, ...), the package version, the solvers used and their versions, and
the command line that produced it. ``pwl-kkt verify CERT.json`` (or
:func:`verify_certificate`) checks it from scratch:

* exact claims exactly: the margins, the support and the linear KKT system are rebuilt in
  rational arithmetic and the stored multipliers or Farkas vectors are substituted;
* numeric claims by recomputing the quantities from the stored multipliers and comparing
  them at the stored tolerance (no solver's word is taken).

Every file has a ``"kind"``. Each kind is one entry of a registry, so a new kind of claim
needs one :func:`register_kind` call with a function building the claim and proof from a
result and a function checking them:

``"kkt"``
    a numeric (eps, delta)-KKT certificate (:func:`pwl_kkt.certify_kkt`);
``"kkt-exact"``
    an exact KKT decision with its proof (:func:`pwl_kkt.verify_kkt_exact`);
``"global"``
    global optimality for every width, or its refutation (:func:`pwl_kkt.certify_global`);
``"optimum"``
    the infinite-width optimum ``P*`` with a primal network and dual multipliers
    (:func:`pwl_kkt.global_max_margin`);
``"limit"``
    a ball-arithmetic proof that an exact KKT point lies near a network, with its region count
    (:func:`pwl_kkt.prove_kkt_point`, the proof of :func:`pwl_kkt.kkt_limit`); the check redoes
    the proof from the embedded network and data.

Examples
--------
>>> from pwl_kkt import Network, verify_kkt_exact
>>> res = verify_kkt_exact(Network([0, 0], [1, 0], [1, 0]), [4, -4], [1, 1])
>>> cert = certificate_of(res, command="example")
>>> cert.kind, cert.claim
('kkt-exact', {'is_kkt': True, 'proof': 'multipliers'})
>>> verify_certificate(cert).holds
True
>>> CertificateFile.from_json(cert.to_json()) == cert
True
"""

from __future__ import annotations

import json
import math
import os
import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from ._rational import fraction_text
from .errors import FileFormatError, PwlKktError
from .model.data import Dataset
from .model.data_nd import DatasetNd
from .model.network import Network
from .model.network_nd import NetworkNd

__all__ = [
    "CertificateFile",
    "ClaimRejected",
    "Verdict",
    "certificate_of",
    "read_certificate",
    "register_kind",
    "verify_certificate",
    "write_certificate",
]

FORMAT = "pwl-kkt certificate"
FORMAT_VERSION = 1
_NUMERIC_RTOL = 1e-9  # float re-computation of a stored float: agreement to ~1e-9 relative
_PACKAGES = ("numpy", "scipy", "sympy", "cvxpy", "clarabel", "highspy", "python-flint")


@dataclass(frozen=True)
class Verdict:
    """Outcome of :func:`verify_certificate`: whether the claim holds and why (one line).

    Examples
    --------
    >>> Verdict(False, "lambda_0 = -1 < 0").holds
    False
    """

    holds: bool
    reason: str


@dataclass(frozen=True)
class CertificateFile:
    """A self-contained, re-checkable certificate (see :mod:`pwl_kkt.certificate`).

    Attributes
    ----------
    kind : str
        A registered kind (``"kkt"``, ``"kkt-exact"``, ``"global"``, ``"optimum"``, ...).
    network : dict or None
        ``{"w", "b", "v": list of str, "exact": bool}`` (``None`` when the claim is about the
        data alone, as for ``"optimum"``). A network on R^d has the layout of its JSON file
        (:mod:`pwl_kkt.model.io`): ``"w"`` one row of d entries per neuron, ``"b": null``
        without hidden biases.
    data : dict
        ``{"x": list of str, "y": list of int, "exact": bool}``; points in R^d are rows.
    claim : dict
        What is asserted (e.g. ``{"is_kkt": True, "proof": "multipliers"}``).
    proof : dict
        The proof data, as written by the result's ``to_dict``.
    software : dict
        ``pwl_kkt`` and Python versions, the solvers used, and the installed versions of
        the numerical packages.
    command : str or None
        The command line (or call) that made the certificate.

    Examples
    --------
    >>> from pwl_kkt import Network, verify_kkt_exact
    >>> cert = certificate_of(verify_kkt_exact(Network([0], [1], [1]), [1, 2], [1, 1]))
    >>> cert.kind, cert.claim, cert.data["x"]
    ('kkt-exact', {'is_kkt': False, 'proof': 'farkas'}, ['1', '2'])
    """

    kind: str
    network: dict | None
    data: dict
    claim: dict
    proof: dict
    software: dict = field(default_factory=dict, compare=False)
    command: str | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object written to the file."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "kind": self.kind,
            "claim": self.claim,
            "network": self.network,
            "data": self.data,
            "proof": self.proof,
            "software": self.software,
            "command": self.command,
        }

    @classmethod
    def from_dict(cls, d: object) -> CertificateFile:
        """Read :meth:`to_dict` output, checking the envelope (format, kind, fields)."""
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise FileFormatError(f"not a pwl-kkt certificate (no \"format\": {FORMAT!r})")
        if d.get("format_version") != FORMAT_VERSION:
            raise FileFormatError(
                f"certificate format version {d.get('format_version')!r} is not supported "
                f"(this pwl_kkt reads version {FORMAT_VERSION})"
            )
        kind = d.get("kind")
        if kind not in _KINDS:
            known = ", ".join(sorted(_KINDS))
            raise FileFormatError(f"unknown certificate kind {kind!r} (known: {known})")
        for key in ("claim", "data", "proof"):
            if not isinstance(d.get(key), dict):
                raise FileFormatError(f"certificate field {key!r} is missing or not an object")
        return cls(
            kind=kind,
            network=d.get("network"),
            data=d["data"],
            claim=d["claim"],
            proof=d["proof"],
            software=d.get("software") or {},
            command=d.get("command"),
        )

    def to_json(self) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def from_json(cls, text: str) -> CertificateFile:
        """Inverse of :meth:`to_json`."""
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise FileFormatError(f"certificate is not valid JSON: {exc}") from None

    def summary(self) -> list[tuple[str, str]]:
        """``(quantity, value)`` rows: the claim, the instance size and the software."""
        rows = [(key, _show(value)) for key, value in self.claim.items()]
        if self.network is not None:
            rows.append(("width", str(len(self.network["w"]))))
        rows.append(("data points", str(len(self.data["x"]))))
        rows.append(("pwl_kkt", str(self.software.get("pwl_kkt", "?"))))
        return rows

    def to_latex(self) -> str:
        r"""A LaTeX ``tabular`` of :meth:`summary` (booktabs rules).

        Examples
        --------
        >>> from pwl_kkt import Network, verify_kkt_exact
        >>> r = verify_kkt_exact(Network([0], [1], [1]), [1, -1], [1, 1])
        >>> print(certificate_of(r).to_latex().splitlines()[5])
        \texttt{is\_kkt} & yes \\
        """
        return latex_table(["quantity", "value"], self.summary(), caption=_KIND_TITLES[self.kind])

    def _repr_markdown_(self) -> str:
        lines = [f"**{_KIND_TITLES[self.kind]}**", "", "| quantity | value |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in self.summary()]
        return "\n".join(lines)


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "_": r"\_", "%": r"\%", "&": r"\&", "#": r"\#",
                  "$": r"\$", "{": r"\{", "}": r"\}", "^": r"\^{}", "~": r"\~{}"}


def _latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(c, c) for c in text)


def latex_table(header: list[str], rows: list[tuple], caption: str | None = None) -> str:
    r"""A booktabs LaTeX ``tabular`` (first column in ``\texttt``, cells escaped).

    Examples
    --------
    >>> print(latex_table(["a", "b_c"], [("x_1", 2)]))
    \begin{tabular}{ll}
    \toprule
    a & b\_c \\
    \midrule
    \texttt{x\_1} & 2 \\
    \bottomrule
    \end{tabular}
    """
    def cell(v: object) -> str:
        return _latex_escape(v if isinstance(v, str) else _show(v))

    lines = []
    if caption:
        lines.append(f"% {caption}")
    lines += [
        r"\begin{tabular}{" + "l" * len(header) + "}",
        r"\toprule",
        " & ".join(cell(h) for h in header) + r" \\",
        r"\midrule",
    ]
    for row in rows:
        first, *rest = row
        lines.append(" & ".join([rf"\texttt{{{cell(first)}}}", *map(cell, rest)]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines)


# --- the instance as exact text --------------------------------------------------------------


def _text(value: object, exact: bool) -> str:
    return fraction_text(value) if exact else repr(float(value))


def _texts(values: Any, exact: bool) -> list:
    """Entries as text, rows (R^d) as lists of text."""
    if isinstance(values, np.ndarray):
        values = values.tolist()
    return [
        [_text(t, exact) for t in row] if isinstance(row, (tuple, list)) else _text(row, exact)
        for row in values
    ]


def _network_dict(net: Network | NetworkNd) -> dict:
    parts = net.fractions() if net.is_exact else net.arrays()
    d: dict[str, Any] = {k: _texts(p, net.is_exact) for k, p in zip("wbv", parts)}
    if isinstance(net, NetworkNd) and not net.has_bias:
        d["b"] = None  # as in a network file: no hidden biases, not zero ones
    d["exact"] = net.is_exact
    return d


def _data_dict(data: Dataset | DatasetNd) -> dict:
    xs = data.x_exact if data.is_exact else data.x_float
    return {
        "x": _texts(xs, data.is_exact),
        "y": [int(t) for t in data.y.tolist()],
        "exact": data.is_exact,
    }


def _has_rows(values: list) -> bool:
    return bool(values) and isinstance(values[0], list)


def _floats(values: list) -> np.ndarray:
    return np.array([[float(t) for t in r] if isinstance(r, list) else float(r) for r in values])


def _network(d: dict | None) -> Network | NetworkNd:
    if not isinstance(d, dict) or not all(isinstance(d.get(k), list) for k in "wv"):
        raise FileFormatError("certificate has no network {'w', 'b', 'v'}")
    rows = _has_rows(d["w"])
    if not rows and not isinstance(d.get("b"), list):
        raise FileFormatError("certificate network has no list 'b'")
    cls = NetworkNd if rows else Network
    if d.get("exact"):
        return cls(d["w"], d["b"], d["v"], exact=True)
    b = None if d["b"] is None else _floats(d["b"])
    return cls(_floats(d["w"]), b, _floats(d["v"]))


def _data(d: dict) -> Dataset | DatasetNd:
    if not isinstance(d.get("x"), list) or not isinstance(d.get("y"), list):
        raise FileFormatError("certificate data needs lists 'x' and 'y'")
    cls = DatasetNd if _has_rows(d["x"]) else Dataset
    if d.get("exact"):
        return cls(d["x"], d["y"], exact=True)
    return cls(_floats(d["x"]), d["y"])


def _software(solvers: str) -> dict:
    from . import __version__

    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "pwl_kkt": __version__,
        "python": platform.python_version(),
        "solvers": solvers,
        "packages": versions,
    }


# --- the registry of kinds ---------------------------------------------------------------------

Build = Callable[[Any], tuple[dict, dict, str]]  # result -> (claim, proof, solvers)
# -> the reason it holds; raises ClaimRejected
Check = Callable[[Network | NetworkNd | None, Dataset | DatasetNd, dict, dict], str]


class ClaimRejected(Exception):
    """Raised by a kind's check when the claim does not hold; the message is the reason.

    Examples
    --------
    >>> str(ClaimRejected("lambda_0 < 0"))
    'lambda_0 < 0'
    """


@dataclass(frozen=True)
class _Kind:
    result_type: type | tuple[type, ...]
    title: str
    build: Build
    check: Check
    has_network: bool


_KINDS: dict[str, _Kind] = {}
_KIND_TITLES: dict[str, str] = {}


def register_kind(
    kind: str,
    result_type: type | tuple[type, ...],
    title: str,
    build: Build,
    check: Check,
    *,
    has_network: bool,
) -> None:
    """Register a kind of certificate.

    Parameters
    ----------
    kind : str
        The ``"kind"`` field of the file.
    result_type : type or tuple of type
        The result class (or classes: one per input dimension that has its own) that
        :func:`certificate_of` turns into this kind.
    title : str
        A short human title (table captions).
    build : callable
        ``build(result) -> (claim, proof, solvers)``: JSON-ready dicts and a text naming the
        solvers used.
    check : callable
        ``check(network, data, claim, proof) -> reason``: re-checks the claim from scratch
        (``network`` and ``data`` are a ``NetworkNd`` / ``DatasetNd`` when the file has rows) and
        returns a one-line reason it holds; raises :class:`ClaimRejected` with the reason it
        does not (a :class:`~pwl_kkt.errors.PwlKktError` from rebuilding the instance is
        reported as an invalid instance).
    has_network : bool
        Whether the result is about a network (embedded) or about the data alone.

    Notes
    -----
    Registering also gives ``result_type`` the displays built from its claim, unless it
    defines its own: ``to_latex()`` (a booktabs table), ``_repr_markdown_()`` and
    ``_repr_html_()`` (Jupyter).
    """
    _KINDS[kind] = _Kind(result_type, title, build, check, has_network)
    _KIND_TITLES[kind] = title
    types = result_type if isinstance(result_type, tuple) else (result_type,)
    for cls in types:
        for name, method in (
            ("to_latex", _result_latex),
            ("_repr_markdown_", _result_markdown),
            ("_repr_html_", _result_html),
        ):
            if name not in vars(cls):
                setattr(cls, name, method)


def _result_rows(result: object) -> tuple[str, list[tuple[str, str]]]:
    kind = next(k for k, s in _KINDS.items() if isinstance(result, s.result_type))
    claim, _, solvers = _KINDS[kind].build(result)
    return _KIND_TITLES[kind], [(k, _show(v)) for k, v in claim.items()] + [("solvers", solvers)]


def _result_latex(self: object) -> str:
    r"""A LaTeX ``tabular`` of the claim (booktabs rules).

    Examples
    --------
    >>> from pwl_kkt import Network, certify_global
    >>> print(certify_global(Network([3], [4], [5]), ["3/4"], [1]).to_latex().splitlines()[5])
    \texttt{is\_global} & yes \\
    """
    title, rows = _result_rows(self)
    return latex_table(["quantity", "value"], rows, caption=title)


def _result_markdown(self: object) -> str:
    title, rows = _result_rows(self)
    return "\n".join(
        [f"**{title}**", "", "| quantity | value |", "|---|---|"]
        + [f"| {k} | {v} |" for k, v in rows]
    )


def _result_html(self: object) -> str:
    from html import escape

    title, rows = _result_rows(self)
    body = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in rows)
    return f"<p><b>{escape(title)}</b></p><table><tbody>{body}</tbody></table>"


def certificate_of(result: object, *, command: str | None = None) -> CertificateFile:
    """Wrap a result (KKT, exact KKT, global, optimum) as a :class:`CertificateFile`.

    The result must carry its network and data (the exact KKT result does); otherwise pass
    them to :func:`certificate_for`.

    Examples
    --------
    >>> from pwl_kkt import Network, verify_kkt_exact
    >>> certificate_of(verify_kkt_exact(Network([0], [1], [1]), [1, -1], [1, 1])).kind
    'kkt-exact'
    """
    # A proof is about the network it was asked about (its input), not the center it found.
    net = getattr(result, "input_network", getattr(result, "network", None))
    data = getattr(result, "data", None)
    return certificate_for(result, net, data, command=command)


def certificate_for(
    result: object,
    network: Network | NetworkNd | None,
    data: Dataset | DatasetNd,
    *,
    command: str | None = None,
) -> CertificateFile:
    """A :class:`CertificateFile` of ``result`` about ``network`` on ``data``.

    Examples
    --------
    >>> from pwl_kkt import Dataset, Network, certify_kkt
    >>> net, data = Network([0], [1], [1]), Dataset([1.0, -1.0], [1, 1])
    >>> cert = certificate_for(certify_kkt(net, data), net, data)
    >>> cert.kind, cert.claim["is_kkt"], verify_certificate(cert).holds
    ('kkt', True, True)
    """
    found = [(k, s) for k, s in _KINDS.items() if isinstance(result, s.result_type)]
    if not found:
        raise PwlKktError(f"no certificate kind for a {type(result).__name__}")
    kind, spec = found[0]
    if not isinstance(data, (Dataset, DatasetNd)):
        raise PwlKktError(f"a {kind!r} certificate needs the Dataset it is about")
    if spec.has_network and not isinstance(network, (Network, NetworkNd)):
        raise PwlKktError(f"a {kind!r} certificate needs the Network it is about")
    claim, proof, solvers = spec.build(result)
    return CertificateFile(
        kind=kind,
        network=_network_dict(network) if spec.has_network else None,
        data=_data_dict(data),
        claim=claim,
        proof=proof,
        software=_software(solvers),
        command=command,
    )


def write_certificate(cert: CertificateFile, path: str | os.PathLike) -> None:
    """Write ``cert`` as JSON to ``path`` (atomically: no partial file on failure).

    Examples
    --------
    >>> import os, tempfile
    >>> from pwl_kkt import Network, verify_kkt_exact
    >>> cert = certificate_of(verify_kkt_exact(Network([0], [1], [1]), [1, -1], [1, 1]))
    >>> path = os.path.join(tempfile.mkdtemp(), "cert.json")
    >>> write_certificate(cert, path)
    >>> read_certificate(path) == cert
    True
    """
    from .model.io import _atomic_write

    _atomic_write(Path(path), (cert.to_json() + "\n").encode())


def read_certificate(path: str | os.PathLike) -> CertificateFile:
    """Read a certificate file (:class:`~pwl_kkt.errors.FileFormatError` if malformed).

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "bad.json")
    >>> with open(path, "w") as f:
    ...     _ = f.write('{"kind": "kkt"}')
    >>> read_certificate(path)
    Traceback (most recent call last):
    ...
    pwl_kkt.errors.FileFormatError: ...: not a pwl-kkt certificate ...
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FileFormatError(f"{p}: not a UTF-8 JSON certificate") from None
    try:
        return CertificateFile.from_json(text)
    except FileFormatError as exc:
        raise FileFormatError(f"{p}: {exc}") from None


def verify_certificate(cert: CertificateFile) -> Verdict:
    """Re-check a certificate from scratch (exact claims exactly); never raises on bad proofs.

    Returns
    -------
    Verdict
        ``holds`` and a one-line ``reason`` (what was checked, or the first thing that
        fails).

    Examples
    --------
    >>> from pwl_kkt import Network, verify_kkt_exact
    >>> cert = certificate_of(verify_kkt_exact(Network([0, 0], [1, 0], [1, 0]), [4, -4], [1, 1]))
    >>> forged = CertificateFile.from_dict(
    ...     dict(cert.to_dict(), proof=dict(cert.proof, lambdas=["1/3", "1/2"])))
    >>> verify_certificate(forged)
    Verdict(holds=False, reason='the exact re-check fails: w-equation of neuron 0: 0 != -2/3')
    """
    spec = _KINDS[cert.kind]
    try:
        net = _network(cert.network) if spec.has_network else None
        data = _data(cert.data)
        return Verdict(True, spec.check(net, data, cert.claim, cert.proof))
    except ClaimRejected as exc:
        return Verdict(False, str(exc))
    except PwlKktError as exc:
        return Verdict(False, f"the embedded instance is invalid: {exc}")
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        return Verdict(False, f"malformed proof data ({type(exc).__name__}: {exc})")


def _require(ok: bool, reason: str) -> None:
    if not ok:
        raise ClaimRejected(reason)


def _close(a: float, b: float, rtol: float = _NUMERIC_RTOL) -> bool:
    return math.isclose(a, b, rel_tol=rtol, abs_tol=rtol)


# --- kind "kkt-exact" ----------------------------------------------------------------------------


def _build_kkt_exact(res: Any) -> tuple[dict, dict, str]:
    proof = res.to_dict()
    del proof["network"], proof["data"]
    solvers = {
        "lp+domainmatrix": "HiGHS (scipy.optimize.linprog) guess, SymPy DomainMatrix over QQ",
        "exact-simplex": "exact Bland's-rule simplex over fractions.Fraction",
        "direct": "none (a violated equation)",
    }.get(res.method, res.method)
    return {"is_kkt": res.is_kkt, "proof": res.proof}, proof, solvers


def _check_kkt_exact(net: Network | None, data: Dataset, claim: dict, proof: dict) -> str:
    from .kkt.exact import ExactKKTResult

    _require(net is not None, "the certificate has no network")
    _require(net.is_exact and data.is_exact, "an exact claim needs an exact network and data")
    full = dict(proof, network=_network_dict(net), data=_data_dict(data))
    res = ExactKKTResult.from_dict(full)
    _require(
        bool(claim.get("is_kkt")) == res.is_kkt and claim.get("proof") == res.proof,
        "the claim does not match the proof data",
    )
    problem = res.recheck_problem()
    _require(problem is None, f"the exact re-check fails: {problem}")
    return res.reason if res.is_kkt else f"not KKT, proved exactly: {res.reason}"


# --- kind "kkt" ----------------------------------------------------------------------------------


def _build_kkt(cert: Any) -> tuple[dict, dict, str]:
    claim = {"is_kkt": cert.is_kkt, "eps": cert.eps, "delta": cert.delta, "kkt_tol": cert.kkt_tol}
    return claim, cert.to_dict(), f"cvxpy ({cert.status}; cvxpy's default conic solver)"


def _check_kkt(net: Network | NetworkNd | None, data: Dataset | DatasetNd, claim: dict,
               proof: dict) -> str:
    from .kkt.numeric import KKTCertificate, _residual, _structure, certify_kkt

    _require(net is not None, "the certificate has no network")
    cert = KKTCertificate.from_dict(proof)
    _require(claim.get("is_kkt") == cert.is_kkt, "the claim does not match the proof data")
    if not cert.is_kkt:
        # A failed numeric certificate proves nothing by its multipliers: re-solve.
        again = certify_kkt(
            net, data, support_tol=cert.support_tol, zero_tol=cert.zero_tol,
            kkt_tol=cert.kkt_tol,
        )
        _require(not again.is_kkt, f"re-solving finds eps = {again.eps:.3e} <= kkt_tol")
        return f"not KKT at tolerance {cert.kkt_tol:g}: re-solving gives eps = {again.eps:.3e}"
    if isinstance(net, NetworkNd):  # (x_i, 1) and (w_j, b_j) in R^{d+1}: same checks
        from .kkt._numeric_nd import residual_nd, structure_nd
        from .model._match import data_for

        _require(cert.d == net.d, f"the proof is for d = {cert.d}, the network has d = {net.d}")
        st = structure_nd(
            net, data_for(net, data).require_separable(), cert.support_tol, cert.zero_tol
        )
        residual, sq = residual_nd, float(np.sum(st.u * st.u) + st.v @ st.v)
    else:
        st = _structure(net, data.require_separable(), cert.support_tol, cert.zero_tol)
        residual, sq = _residual, float(st.w @ st.w + st.b @ st.b + st.v @ st.v)
    support = sorted(int(i) for i in st.support)
    _require(
        list(cert.support) == support, f"the support set is {support}, not {list(cert.support)}"
    )
    _require(len(cert.lambdas) == data.n, f"{len(cert.lambdas)} lambdas for {data.n} points")
    _require(min(cert.lambdas) >= 0, "a multiplier is negative")
    off = [i for i, t in enumerate(cert.lambdas) if t and i not in set(support)]
    _require(not off, f"lambda_{off[0] if off else 0} is nonzero off the support set")
    stored_mu = {(i, j): m for i, j, m in cert.mu}
    pairs = [(int(st.support[p]), int(j)) for p, j in zip(st.zpos.tolist(), st.zneuron.tolist())]
    _require(set(stored_mu) == set(pairs), "the near-zero pairs differ from the stored mu")
    lam = np.array([cert.lambdas[i] for i in st.support.tolist()])
    mu = np.array([stored_mu[p] for p in pairs], dtype=np.float64)
    _require(
        all(0 <= m <= cert.lambdas[i] for (i, _), m in zip(pairs, mu.tolist())),
        "some mu_ij lies outside [0, lambda_i]",
    )
    res = residual(st, lam, mu)
    eps = float(np.linalg.norm(res)) / math.sqrt(sq)
    delta = max(float(lam @ (st.q[st.support] - 1.0)), 0.0)
    _require(eps <= cert.kkt_tol, f"recomputed eps = {eps:.3e} exceeds kkt_tol = {cert.kkt_tol:g}")
    _require(
        _close(eps, cert.eps, 1e-6) and _close(delta, cert.delta, 1e-6),
        f"recomputed eps = {eps:.6e}, delta = {delta:.6e} differ from the stored "
        f"{cert.eps:.6e}, {cert.delta:.6e}",
    )
    return (
        f"(eps, delta)-KKT at tolerance {cert.kkt_tol:g}: recomputed eps = {eps:.3e}, "
        f"delta = {delta:.3e} from the stored multipliers"
    )


# --- kind "global" -------------------------------------------------------------------------------


def _build_global(cert: Any) -> tuple[dict, dict, str]:
    from .duality.globalopt_plane import GlobalCertificate2d

    if isinstance(cert, GlobalCertificate2d):
        solvers = (
            "exact rationals (max |G| on S^2 over the circle arrangement, margins, values); "
            "verify_kkt_exact for the multipliers; cvxpy for the optimum's network"
            if cert.exact
            else "cvxpy (float multipliers); exact max |G| on S^2"
        )
        claim = {"is_global": cert.is_global, "proof": cert.proof, "exact": cert.exact}
        return claim, cert.to_dict(), solvers
    solvers = (
        "exact rationals (dual maximum, KKT substitution); cvxpy for the multiplier search"
        if cert.exact
        else "cvxpy (float)"
    )
    claim = {"is_global": cert.is_global, "proof": cert.proof, "exact": cert.exact}
    return claim, cert.to_dict(), solvers


def _check_global(net: Network | NetworkNd | None, data: Dataset | DatasetNd, claim: dict,
                  proof: dict) -> str:
    if isinstance(net, NetworkNd):
        return _check_global_2d(net, data, claim, proof)
    from .duality.dual import max_abs_dual
    from .duality.globalopt import (
        GlobalCertificate,
        _kkt_holds_exact,
        _margins_exact,
        certify_global,
    )
    from .kkt.exact import verify_kkt_exact

    _require(net is not None, "the certificate has no network")
    cert = GlobalCertificate.from_dict(proof)
    _require(
        claim.get("is_global") == cert.is_global and claim.get("proof") == cert.proof,
        "the claim does not match the proof data",
    )
    if not cert.exact:
        again = certify_global(net, data)
        _require(
            again.is_global == cert.is_global,
            f"re-running the float decision gives is_global = {again.is_global}",
        )
        return f"float decision reproduced (max |G| = {again.max_abs_float:.6g}; not a proof)"
    _require(net.is_exact and data.is_exact, "an exact claim needs an exact network and data")
    margins = _margins_exact(net, data)
    m = min(margins)
    _require(m > 0, "the network misclassifies a point")
    value = net.sq_norm_exact() / (2 * m)
    _require(value == cert.value, f"1/2 ||theta||^2 at margin 1 is {value}, not {cert.value}")
    if cert.proof == "weak-duality":
        lam = list(cert.lambdas)
        _require(len(lam) == data.n, f"{len(lam)} lambdas for {data.n} points")
        _require(_kkt_holds_exact(net, data, lam), "the stored lambdas are not KKT multipliers")
        dm = max_abs_dual(lam, data, exact=True)
        _require(dm.max_sq <= 1, f"max |G|^2 = {dm.max_sq} > 1: weak duality does not apply")
        total = sum(lam, Fraction(0))
        _require(total == value, f"sum lambda = {total} differs from the value {value}")
        return f"global optimum for every width: max |G|^2 = {dm.max_sq} <= 1, P* = {total}"
    if cert.improving is not None:
        imp = cert.improving.to_exact()
        imp_margins = _margins_exact(imp, data)
        _require(min(imp_margins) >= 1, "the improving network has a margin below 1")
        imp_value = imp.sq_norm_exact() / 2
        _require(imp_value < value, f"the improving network's value {imp_value} is not < {value}")
        return (
            f"not a global optimum: a feasible width-{imp.width} network has "
            f"1/2 ||theta'||^2 = {float(imp_value):.10g} < {float(value):.10g}"
        )
    _require(cert.proof == "not-kkt", "a refutation needs an improving network")
    res = verify_kkt_exact(net, data)
    _require(not res.is_kkt, "the network is a KKT point after all")
    return f"not a global optimum: not even a KKT point ({res.reason})"


def _check_global_2d(net: NetworkNd, data: Dataset | DatasetNd, claim: dict, proof: dict) -> str:
    """A plane certificate (:func:`~pwl_kkt.duality.globalopt_plane.certify_global_2d`).

    Weak duality needs no KKT check: ``lambda >= 0`` with ``max_{S^2} |G_lambda| <= 1`` is
    feasible for the dual, so ``sum lambda <= P*``, and the network normalised to margin 1 is
    feasible for the primal, so ``P* <= value``; ``sum lambda = value`` closes the gap.
    """
    from .duality.dual_plane import max_abs_dual_2d
    from .duality.globalopt_plane import certify_global_2d
    from .duality.optimum_plane import exact_margins_2d
    from .kkt.exact import verify_kkt_exact

    is_global, kind = proof["is_global"], proof["proof"]
    _require(
        claim.get("is_global") == is_global and claim.get("proof") == kind
        and bool(claim.get("exact")) == bool(proof["exact"]),
        "the claim does not match the proof data",
    )
    _require(net.d == 2 and net.has_bias, "a plane certificate needs a d = 2 network with biases")
    margins = exact_margins_2d(net, data)
    m = min(margins)
    _require(m > 0, f"the network misclassifies point {margins.index(m)}")
    value = net.sq_norm_exact() / (2 * m)
    _require(value == Fraction(proof["value"]),
             f"1/2 ||theta||^2 at margin 1 is {value}, not {proof['value']}")
    if not proof["exact"] or is_global is None:
        again = certify_global_2d(net, data)
        _require(
            again.is_global == is_global,
            f"re-running the decision gives is_global = {again.is_global}",
        )
        return f"decision reproduced ({again.proof}; not a proof: {again.reason})"
    _require(net.is_exact and data.is_exact, "an exact claim needs an exact network and data")
    if kind == "weak-duality":
        lam = [Fraction(t) for t in proof["lambdas"]]
        _require(len(lam) == data.n, f"{len(lam)} lambdas for {data.n} points")
        _require(all(t >= 0 for t in lam), "a multiplier is negative")
        M = max_abs_dual_2d(lam, data).max_sq
        _require(M <= 1, f"max |G|^2 on S^2 = {M} > 1: lambda is not dual feasible")
        total = sum(lam, Fraction(0))
        _require(total == value, f"sum lambda = {total} differs from the value {value}")
        return (f"global optimum for every width: max |G|^2 on S^2 = {M} <= 1, "
                f"P* = sum lambda = {total} = the network's value")
    if proof["improving"] is not None:
        imp = proof["improving"]
        better = NetworkNd(imp["w"], imp["b"], imp["v"], exact=True)
        _require(better.d == 2, "the improving network is not on the plane")
        _require(min(exact_margins_2d(better, data)) >= 1,
                 "the improving network has a margin below 1")
        better_value = better.sq_norm_exact() / 2
        _require(better_value < value,
                 f"the improving network's value {better_value} is not < {value}")
        return (f"not a global optimum: a feasible width-{better.width} network has "
                f"1/2 ||theta'||^2 = {float(better_value):.10g} < {float(value):.10g}")
    _require(kind == "not-kkt", "a refutation needs an improving network or a not-KKT proof")
    res = verify_kkt_exact(net, data)
    _require(not res.is_kkt, "the network is a KKT point after all")
    return f"not a global optimum: not even a KKT point ({res.reason})"


# --- kind "optimum" ------------------------------------------------------------------------------


def _build_optimum(opt: Any) -> tuple[dict, dict, str]:
    claim = {"P_star": opt.P_star, "P_star_exact": opt.P_star_exact, "gap": opt.gap}
    return claim, opt.to_dict(), "cvxpy (default conic solver, Clarabel) on the exact patterns"


def _check_optimum(net: Network | None, data: Dataset | DatasetNd, claim: dict,
                   proof: dict) -> str:
    if isinstance(data, DatasetNd):
        return _check_optimum_2d(data, claim, proof)
    from .duality.dual import max_abs_dual
    from .duality.optimum import MaxMarginOptimum, optimality_value

    opt = MaxMarginOptimum.from_dict(proof)
    _require(
        claim.get("P_star") == opt.P_star and claim.get("P_star_exact") == opt.P_star_exact,
        "the claim does not match the proof data",
    )
    lam = np.asarray(opt.lambdas, dtype=np.float64)
    _require(lam.size == data.n and bool(np.all(lam >= 0)), "the dual multipliers are malformed")
    upper = optimality_value(opt.network, data) if opt.network.width else math.inf
    _require(math.isfinite(upper), "the optimal network misclassifies a point")
    dm = max_abs_dual(lam, data.x_float, data.y, exact=False)
    lower = float(lam.sum()) / max(1.0, dm.max_abs_float)
    tol = _NUMERIC_RTOL * max(1.0, upper)
    _require(lower <= upper + tol, f"dual bound {lower:.10g} above primal value {upper:.10g}")
    gap = upper - lower
    _require(
        gap <= max(opt.gap, 0.0) + tol,
        f"recomputed gap {gap:.3e} exceeds the stored gap {opt.gap:.3e}",
    )
    _require(lower - tol <= opt.P_star <= upper + tol, f"P* = {opt.P_star} outside the bounds")
    if opt.P_star_exact is not None:
        _require(data.is_exact, "an exact P* needs exact data")
        _require(
            opt.recheck(data),
            "the exact network and multipliers do not prove P_star_exact (rational re-check)",
        )
        return f"P* = {opt.P_star_exact} proved exactly (primal = dual); gap {gap:.3e}"
    return f"{lower:.10g} <= P* <= {upper:.10g} (float bounds recomputed; gap {gap:.3e})"


def _check_optimum_2d(data: DatasetNd, claim: dict, proof: dict) -> str:
    """A plane optimum: both ends of ``P*``'s interval re-proved in rationals."""
    from .duality.optimum_plane import MaxMarginOptimum2d

    _require(data.d == 2, f"a plane optimum needs data with d = 2, not d = {data.d}")
    opt = MaxMarginOptimum2d.from_dict(proof)
    _require(
        claim.get("P_star") == opt.P_star and claim.get("P_star_exact") == opt.P_star_exact,
        "the claim does not match the proof data",
    )
    _require(opt.lower <= opt.P_star <= opt.upper, f"P* = {opt.P_star} outside the bounds")
    _require(
        opt.recheck(data),
        "the exact multipliers and network do not prove the bounds (rational re-check)",
    )
    if opt.P_star_exact is not None:
        return f"P* = {opt.P_star_exact} proved exactly (primal = dual on S^2)"
    return (f"{opt.lower:.10g} <= P* <= {opt.upper:.10g} proved exactly "
            f"(dual {opt.lower_exact}, primal {opt.upper_exact})")


# --- kind "limit" --------------------------------------------------------------------------------


def _build_limit(p: Any) -> tuple[dict, dict, str]:
    claim = {
        "proven": p.proven,
        "regions": p.regions,
        "regions_range": None if p.regions_range is None else list(p.regions_range),
        "radius": p.radius if p.proven else None,
        "sq_norm": p.sq_norm,
        "exact": p.exact,
    }
    proof = {
        "center": _network_dict(p.network),
        "precision": p.precision,
        "support": list(p.support),
        "lambdas": list(p.lambdas),
        "reason": p.reason,
    }
    return claim, proof, "python-flint arb balls (Krawczyk test); float Newton for the center"


def _distance_up(a: Network, b: Network) -> float:
    """An upper bound of ``||a - b||`` over all parameters (exact squares, rounded up)."""
    parts = zip(a.fractions() if a.is_exact else a.arrays(),
                b.fractions() if b.is_exact else b.arrays())
    sq = sum(((Fraction(s) - Fraction(t)) ** 2 for p, q in parts for s, t in zip(p, q)),
             Fraction(0))
    r = math.sqrt(sq)
    while Fraction(r) ** 2 < sq:  # float rounding may land below the true root
        r = math.nextafter(r, math.inf)
    return r


def _check_limit(net: Network | None, data: Dataset, claim: dict, proof: dict) -> str:
    from .kkt.proof import prove_kkt_point

    _require(net is not None, "the certificate has no network")
    again = prove_kkt_point(net, data, precision=int(proof["precision"]))
    _require(
        again.proven == bool(claim["proven"]),
        f"re-proving gives proven = {again.proven} ({again.reason})",
    )
    rng = None if again.regions_range is None else list(again.regions_range)
    _require(
        again.regions == claim["regions"] and rng == claim["regions_range"],
        f"re-proving gives regions = {again.regions}, range {rng}, not {claim['regions']}, "
        f"range {claim['regions_range']}",
    )
    if not again.proven:
        return f"not proven, reproduced: {again.reason}"
    _require(
        list(again.support) == [int(i) for i in proof["support"]],
        f"re-proving finds the support {list(again.support)}, not {proof['support']}",
    )
    # The claim is a ball around the stored center; the new proof gives one around its own
    # center, so the stored ball holds if it contains the new one.
    bound = again.radius + _distance_up(again.network, _network(proof["center"]))
    _require(
        bound <= float(claim["radius"]),
        f"re-proving encloses the KKT point only within {bound:.3e} of the center, "
        f"not the claimed {float(claim['radius']):.3e}",
    )
    return (
        f"re-proven in ball arithmetic: an exact KKT point within {bound:.3g} of the center; "
        f"effective regions {again.regions if again.regions is not None else rng}"
    )


def _register_builtin() -> None:
    from .duality.globalopt import GlobalCertificate
    from .duality.globalopt_plane import GlobalCertificate2d
    from .duality.optimum import MaxMarginOptimum
    from .duality.optimum_plane import MaxMarginOptimum2d
    from .kkt.exact import ExactKKTResult
    from .kkt.numeric import KKTCertificate
    from .kkt.proof import KKTProof

    register_kind("kkt", KKTCertificate, "numeric KKT certificate", _build_kkt, _check_kkt,
                  has_network=True)
    register_kind("kkt-exact", ExactKKTResult, "exact KKT decision", _build_kkt_exact,
                  _check_kkt_exact, has_network=True)
    register_kind("global", (GlobalCertificate, GlobalCertificate2d),
                  "global optimality (every width)", _build_global, _check_global,
                  has_network=True)
    register_kind("optimum", (MaxMarginOptimum, MaxMarginOptimum2d),
                  "infinite-width optimum P*", _build_optimum, _check_optimum,
                  has_network=False)
    register_kind("limit", KKTProof, "proof of a KKT point of the max-margin problem",
                  _build_limit, _check_limit, has_network=True)


_register_builtin()
