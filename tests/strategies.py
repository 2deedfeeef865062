"""Hypothesis strategies shared by every test module.

Small rationals on purpose: collisions (shared kinks, exact cancellations,
kinks on data points) are then common rather than measure-zero events.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

from pwl_kkt import Dataset, Network

small_ints = st.integers(min_value=-4, max_value=4)
small_rationals = st.builds(Fraction, small_ints, st.integers(min_value=1, max_value=3))
positive_rationals = st.builds(
    Fraction, st.integers(min_value=1, max_value=5), st.integers(min_value=1, max_value=3)
)


@st.composite
def exact_networks(draw, min_width: int = 1, max_width: int = 6, values=small_rationals) -> Network:
    """Exact networks with small rational parameters (many ties and cancellations)."""
    k = draw(st.integers(min_value=min_width, max_value=max_width))
    w = draw(st.lists(values, min_size=k, max_size=k))
    b = draw(st.lists(values, min_size=k, max_size=k))
    v = draw(st.lists(values, min_size=k, max_size=k))
    return Network(w, b, v)


@st.composite
def float_networks(draw, min_width: int = 1, max_width: int = 8) -> Network:
    """Float networks with moderate, finite parameters."""
    import numpy as np

    k = draw(st.integers(min_value=min_width, max_value=max_width))
    floats = st.floats(min_value=-10, max_value=10, allow_nan=False, allow_subnormal=False)
    arrays = [np.array(draw(st.lists(floats, min_size=k, max_size=k))) for _ in range(3)]
    return Network(*arrays)


@st.composite
def exact_datasets(draw, min_size: int = 1, max_size: int = 8) -> Dataset:
    """Exact datasets with distinct small rational x and random labels."""
    xs = draw(st.lists(small_rationals, min_size=min_size, max_size=max_size, unique=True))
    ys = draw(st.lists(st.sampled_from([-1, 1]), min_size=len(xs), max_size=len(xs)))
    return Dataset(xs, ys)


dyadic_values = st.builds(
    lambda n, e: Fraction(n, 2**e),
    st.integers(min_value=-8, max_value=8),
    st.integers(min_value=0, max_value=3),
)


@st.composite
def dyadic_float_networks(draw, min_width: int = 1, max_width: int = 10) -> Network:
    """Float networks with small dyadic parameters: float ties are frequent and exact."""
    import numpy as np

    k = draw(st.integers(min_value=min_width, max_value=max_width))
    arrays = [
        np.array([float(q) for q in draw(st.lists(dyadic_values, min_size=k, max_size=k))])
        for _ in range(3)
    ]
    return Network(*arrays)


# --- KKT instances (issue 3) ----------------------------------------------------------------

_TRIPLES = [(4, 3, 5), (12, 5, 13), (15, 8, 17)]  # p > q: the two clusters do not overlap


@st.composite
def kkt_instances(draw) -> tuple[Network, Dataset]:
    """Exact instances that are KKT points of Problem (4) by construction.

    Families: (a) mirrored clusters ``alpha (p, q, r)`` / ``alpha (-p, q, -r)`` with support
    ``+-p/q`` (lambda = q/r); (b) a constant neuron ``(0, c, c)`` with all-positive labels and
    0 in the convex hull of x (``sum lambda = 1``, ``sum lambda x = 0``); (c) ``|x| - c^2`` on
    ``x = (-2c^2, 0, 2c^2)`` with labels (+, -, +): two kinks on the data point 0, which need
    Clarke weights ``s = 1/4``. Dead neurons ``(0, 0, 0)``, a global scale and a neuron
    permutation are drawn on top.
    """
    family = draw(st.sampled_from("abc"))
    scale = draw(positive_rationals)
    if family == "a":
        p, q, r = draw(st.sampled_from(_TRIPLES))
        alpha = draw(st.lists(positive_rationals, min_size=1, max_size=3))
        beta = list(reversed(alpha))
        w = [p * t for t in alpha] + [-p * t for t in beta]
        b = [q * t for t in alpha] + [q * t for t in beta]
        v = [r * t for t in alpha] + [-r * t for t in beta]
        xa = Fraction(p, q)
        gaps = draw(st.lists(positive_rationals, max_size=4, unique=True))
        signs = draw(st.lists(st.sampled_from([-1, 1]), min_size=len(gaps), max_size=len(gaps)))
        xs = [xa, -xa] + [s * (xa + g) for s, g in zip(signs, gaps)]
        ys = [1, -1] + signs
    elif family == "b":
        c = draw(positive_rationals)
        w, b, v = [0], [c], [c]
        xs = draw(st.lists(small_rationals, min_size=2, max_size=5, unique=True))
        from hypothesis import assume

        assume(min(xs) <= 0 <= max(xs))
        ys = [1] * len(xs)
    else:
        c = draw(positive_rationals)
        w, b, v = [1, -1, 0], [0, 0, c], [1, 1, -c]
        xs = [-2 * c * c, Fraction(0), 2 * c * c]
        ys = [1, -1, 1]
    dead = draw(st.integers(min_value=0, max_value=2))
    w, b, v = list(w) + [0] * dead, list(b) + [0] * dead, list(v) + [0] * dead
    net = Network(w, b, v).scaled(scale)
    order = draw(st.permutations(range(net.width)))
    return net.permuted(order), Dataset(xs, ys)


@st.composite
def perturbed_kkt_instances(draw) -> tuple[Network, Dataset]:
    """A KKT instance with one parameter moved by a small rational (usually not KKT).

    Draws are rejected (``assume``) when the perturbation misclassifies a point.
    """
    from hypothesis import assume

    net, data = draw(kkt_instances())
    theta = list(net.theta())
    idx = draw(st.integers(min_value=0, max_value=len(theta) - 1))
    theta[idx] += draw(st.sampled_from([Fraction(1, 7), Fraction(-1, 7), Fraction(1, 3)]))
    new = Network.from_theta(theta)
    assume(all(q > 0 for q in _margins(new, data)))
    return new, data


def _margins(net: Network, data: Dataset) -> list[Fraction]:
    return [int(yi) * net.exact_value(xi) for xi, yi in zip(data.x_exact, data.y.tolist())]


# --- issue 5 (duality, global optimum) ------------------------------------------------------


@st.composite
def nonneg_multipliers(draw, n: int) -> list[Fraction]:
    """``n`` exact multipliers ``lambda_i >= 0`` (zeros frequent), not all zero."""
    from hypothesis import assume

    lam = draw(
        st.lists(st.one_of(st.just(Fraction(0)), positive_rationals), min_size=n, max_size=n)
    )
    assume(any(lam))
    return lam


@st.composite
def labelled_networks(draw, max_width: int = 4, max_size: int = 6) -> tuple[Network, Dataset]:
    """An exact network and distinct points labelled by its sign (so it is feasible once scaled).

    Points where the network vanishes are rejected; single-class data is allowed.
    """
    from hypothesis import assume

    net = draw(exact_networks(min_width=1, max_width=max_width))
    xs = draw(st.lists(small_rationals, min_size=1, max_size=max_size, unique=True))
    vals = [net.exact_value(t) for t in xs]
    assume(all(v != 0 for v in vals))
    return net, Dataset(xs, [1 if v > 0 else -1 for v in vals])


# --- kinks near data points (issue 15: scale-aware zero test) ---------------------------------

ZERO_TOL_DYADIC = 2.0**-10  # a zero tolerance that keeps every kink offset below exact in float
_OFFSETS = [0.0, 0.25, -0.25, 0.5, -0.5, 2.0, -2.0, 4.0, -4.0]  # in units of zero_tol * L


@st.composite
def kinks_near_data(draw) -> tuple[list[int], list[float], list[float], list[float]]:
    """Integer data ``x``, powers of two ``w_j`` and kinks ``t_j = x_i + f_j zero_tol L``.

    ``L = max x - min x`` and ``f_j`` is drawn from ``{0, +-1/4, +-1/2}`` (kink within
    ``zero_tol L`` of ``x_i``) or ``{+-2, +-4}`` (clearly outside), so every value, its shift by
    an integer and its scaling by a power of two stay exact in float64.
    Returns ``(x, w, t, f)``.
    """
    xs = draw(st.lists(st.integers(-60, 60), min_size=2, max_size=6, unique=True))
    spread = max(xs) - min(xs)
    k = draw(st.integers(1, 5))
    w = [
        draw(st.sampled_from([-1, 1])) * 2.0 ** draw(st.integers(-3, 3)) for _ in range(k)
    ]
    f = [draw(st.sampled_from(_OFFSETS)) for _ in range(k)]
    t = [float(draw(st.sampled_from(xs))) + fj * ZERO_TOL_DYADIC * spread for fj in f]
    return xs, w, t, f

@st.composite
def rotated_kkt_instances(draw) -> tuple[Network, Dataset]:
    """A KKT instance with one neuron's ``(w, b)`` turned by a rational rotation.

    The neuron stays balanced (``v^2 = w^2 + b^2``), so only the multiplier system can tell
    whether the point is still KKT. Draws that misclassify a point are rejected.
    """
    from hypothesis import assume

    net, data = draw(kkt_instances())
    w, b, v = (list(p) for p in net.fractions())
    j = draw(st.sampled_from([i for i in range(len(v)) if v[i]]))
    turns = [(Fraction(3, 5), Fraction(4, 5)), (Fraction(4, 5), Fraction(-3, 5)),
             (Fraction(12, 13), Fraction(5, 13))]
    c, s = draw(st.sampled_from(turns))
    w[j], b[j] = c * w[j] - s * b[j], s * w[j] + c * b[j]
    new = Network(w, b, v)
    assume(all(q > 0 for q in _margins(new, data)))
    return new, data

# --- closed-form optima (issue 15) ----------------------------------------------------------

pair_scales = st.one_of(
    st.integers(min_value=1, max_value=10**4),
    st.builds(Fraction, st.integers(min_value=1, max_value=10**4), st.integers(1, 9)),
    st.floats(min_value=0.125, max_value=1e6),  # read as the dyadic rational it is
)
"""Scales ``a > 0`` for the pair ``x = (a, -a)``: ints, Fractions and floats."""

@st.composite
def teacher_student_trials(draw, min_width: int = 100, max_width: int = 130):
    """(teacher sign changes r, sample size n, width k, seed, steps) for a trained student.

    ``k`` starts at 100 > 32 * 1 + 67, so Theorem 4.2's bound 32r + 67 can bite for r = 1.
    """
    r = draw(st.integers(1, 2))
    n = draw(st.integers(12, 30))
    k = draw(st.integers(min_width, max_width))
    seed = draw(st.integers(0, 10**6))
    steps = draw(st.sampled_from([1000, 2000, 3000]))
    return r, n, k, seed, steps

# --- bad input: text of numbers, files and command lines (the fuzz suite) ---------------------

number_texts = st.one_of(
    st.integers(-10, 10).map(str),
    st.fractions(max_denominator=50).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.builds(
        "{}e{}".format, st.integers(-9, 9), st.integers(-(10**12), 10**12)
    ),  # 1e999999999 and friends
    st.integers(1, 6000).map(lambda n: "7" * n),  # digit counts around the limits
    st.sampled_from(["nan", "-inf", "1/0", "0x10", "1_0", " 2 ", "", "1e", "--1", "½", "٣"]),
    st.text(max_size=12),
)


def _json_entry(text: str, kind: int) -> str:
    """A JSON token for an entry: the number itself, the number as a string, or a non-number."""
    import json

    return [text, json.dumps(text), "null", "true", "[1]", '{"a": 1}'][kind]


@st.composite
def json_entries(draw, max_size: int = 4) -> str:
    """A JSON list of entries, each a number token, a string, or something else."""
    items = draw(
        st.lists(
            st.builds(_json_entry, number_texts, st.integers(0, 5)),
            max_size=max_size,
        )
    )
    return "[" + ", ".join(items) + "]"


@st.composite
def network_json_texts(draw) -> bytes:
    """Network JSON files: valid, malformed, huge numbers, deep nesting, other encodings."""
    choice = draw(st.integers(0, 9))
    if choice == 0:
        depth = draw(st.integers(1, 200_000))
        return b"[" * depth + b"]" * depth
    if choice == 1:
        return draw(st.binary(max_size=64))
    keys = draw(st.lists(st.sampled_from("wbv"), min_size=2, max_size=3, unique=True))
    choices = {
        "w": st.one_of(json_entries(), json_rows()),  # univariate, or rows on R^d
        "b": st.one_of(json_entries(), st.just("null")),  # null: no hidden biases
    }
    parts = [f'"{k}": {draw(choices.get(k, json_entries()))}' for k in keys]
    if draw(st.booleans()):
        fmt = draw(st.sampled_from(['"exact"', '"float64"', '"x"', "1", "null"]))
        parts.append(f'"format": {fmt}')
    text = "{" + ", ".join(parts) + "}"
    if choice == 2:
        text = text[: draw(st.integers(0, len(text)))]  # truncated
    return text.encode(draw(st.sampled_from(["utf-8", "utf-16"])) if choice == 3 else "utf-8")


@st.composite
def data_csv_texts(draw) -> bytes:
    """CSV data files: headers, rows of odd fields, long fields, NUL bytes, other encodings."""
    header = draw(st.sampled_from(["x,y", "y,x", "x", "a,b", "x,y,z", "", *_ND_HEADERS]))
    width = max(1, header.count("x"))  # rows mostly as wide as the header's x columns
    coordinates = st.one_of(
        st.lists(number_texts, min_size=width, max_size=width), st.lists(number_texts, max_size=3)
    )
    rows = draw(
        st.lists(
            st.tuples(coordinates, st.sampled_from(["1", "-1", "0", "+1", "yes", "1.0", ""])),
            max_size=5,
        )
    )
    lines = [header, *(",".join([*x, y]) for x, y in rows)]
    if draw(st.integers(0, 9)) == 0:
        lines.append("1" * 140_000 + ",1")  # over csv's field limit
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\0", '\n"unclosed']))
    return text.encode(draw(st.sampled_from(["utf-8", "latin-1"])), errors="replace")


@st.composite
def npz_bytes(draw) -> bytes:
    """``.npz`` files: arrays of any dtype and shape, truncated or foreign bytes."""
    import io

    import numpy as np

    choice = draw(st.integers(0, 5))
    if choice == 0:
        return draw(st.binary(max_size=64))
    values_of = {
        "float64": [[1.0, -1.0], [0.5, float("inf")], [1e300, 2.0]],
        "float32": [[1.0, -0.25]],
        "float16": [[1.0, 2.0]],
        "int64": [[1, -1], [2**53 + 1, 3]],
        "uint64": [[2**64 - 1, 1]],
        "complex128": [[1 + 2j, 1.0]],
        "bool": [[True, False]],
        "U3": [["1", "-1"]],
    }
    arrays = {}
    for key in draw(st.lists(st.sampled_from("wbvx"), min_size=2, max_size=4, unique=True)):
        dtype = draw(st.sampled_from(sorted(values_of)))
        values = np.array(draw(st.sampled_from(values_of[dtype])), dtype=dtype)
        shapes = [(2,), (1,), (0,), (2, 1), (), (2, 2), (2, 3), (1, 2), (0, 2), (2, 0)]
        arrays[key] = np.resize(values, draw(st.sampled_from(shapes)))
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    raw = buf.getvalue()
    return raw[: draw(st.integers(0, len(raw)))] if choice == 1 else raw


option_texts = st.one_of(
    number_texts, st.sampled_from(["-1", "-0", "0", "1", "2", "1e-9", "1e300", "0.5"])
)


@st.composite
def cli_cases(draw) -> tuple[str, dict[str, bytes], list[str]]:
    """``(command, {file name: content}, options)`` for one run of ``pwl-kkt``."""
    net_kind = draw(st.sampled_from(["json", "json", "npz"]))
    net = draw(network_json_texts() if net_kind == "json" else npz_bytes())
    data_kind = draw(st.sampled_from(["csv", "json"]))
    if data_kind == "csv":
        data = draw(data_csv_texts())
    else:
        x = draw(st.one_of(json_entries(), json_rows()))
        data = ('{"x": ' + x + ', "y": ' + draw(json_entries()) + "}").encode()
    files = {f"net.{net_kind}": net, f"data.{data_kind}": data}
    command = draw(st.sampled_from(["regions", "certify", "certify-exact", "train"]))
    opt = draw(option_texts)
    if command == "regions":
        args = ["regions", f"net.{net_kind}"]
        if draw(st.booleans()):
            args += ["--interval", opt, draw(option_texts)]
        if draw(st.booleans()):
            args.append(f"--tol={draw(option_texts)}")
    elif command.startswith("certify"):
        args = ["certify", f"net.{net_kind}", f"data.{data_kind}"]
        args += ["--exact"] if command == "certify-exact" else [f"--support-tol={opt}"]
    else:
        args = ["train", f"data.{data_kind}", f"--width={draw(st.integers(-1, 4))}"]
        args += [f"--steps={draw(st.integers(-1, 20))}", f"--sigma-o={opt}"]
        args += [f"--seed={draw(st.sampled_from(['0', '-1', '7', 'x']))}"]
        if draw(st.booleans()):
            args.append(f"--out={draw(st.sampled_from(['out.json', 'out.txt', '', 'out.npz']))}")
    return args[0], files, args[1:]


@st.composite
def exact_networks_nd(draw, d: int | None = None, max_width: int = 5, bias: bool | None = None):
    """Exact :class:`NetworkNd` with small rational entries (d drawn in 1..3 unless given)."""
    from pwl_kkt import NetworkNd

    d = draw(st.integers(1, 3)) if d is None else d
    k = draw(st.integers(1, max_width))
    w = draw(st.lists(st.lists(small_rationals, min_size=d, max_size=d), min_size=k, max_size=k))
    has_bias = draw(st.booleans()) if bias is None else bias
    b = draw(st.lists(small_rationals, min_size=k, max_size=k)) if has_bias else None
    v = draw(st.lists(small_rationals, min_size=k, max_size=k))
    return NetworkNd(w, b, v)


@st.composite
def exact_datasets_nd(draw, d: int, min_size: int = 1, max_size: int = 8):
    """Exact :class:`DatasetNd` in R^d with small rational points and any labels."""
    from pwl_kkt import DatasetNd

    n = draw(st.integers(min_size, max_size))
    x = draw(st.lists(st.lists(small_rationals, min_size=d, max_size=d), min_size=n, max_size=n))
    y = draw(st.lists(st.sampled_from([-1, 1]), min_size=n, max_size=n))
    return DatasetNd(x, y)


# --- networks and data on R^d: float networks, and bad input for the fuzz suite (issue 11) ---


@st.composite
def float_networks_nd(draw, d: int | None = None, max_width: int = 5, bias: bool | None = None):
    """Float :class:`NetworkNd` over the whole float64 range (subnormals, +-0, +-1.8e308)."""
    import numpy as np

    from pwl_kkt import NetworkNd

    d = draw(st.integers(1, 3)) if d is None else d
    k = draw(st.integers(1, max_width))
    floats = st.floats(allow_nan=False, allow_infinity=False)

    def array(*shape: int) -> np.ndarray:
        n = int(np.prod(shape))
        return np.array(draw(st.lists(floats, min_size=n, max_size=n)), dtype=float).reshape(shape)

    has_bias = draw(st.booleans()) if bias is None else bias
    return NetworkNd(array(k, d), array(k) if has_bias else None, array(k))


_ND_HEADERS = [
    "x1,x2,y", "x1,y", "x2,x1,y", "x1,x3,y", "x1,x1,y", "x0,x1,y", "x1,x2", "y,x1,x2,x3",
    "\ufeffx1,x2,y", "x1,x2,y,y", "x,y,y",  # a byte order mark; a second column of labels
]


@st.composite
def json_rows(draw, max_rows: int = 3) -> str:
    """A JSON list of rows (weights or points in R^d): mostly of one length, sometimes ragged,
    sometimes with an entry that is not a row."""
    d = draw(st.integers(1, 3))
    entry = st.one_of(
        st.integers(-3, 3).map(str), st.builds(_json_entry, number_texts, st.integers(0, 5))
    )
    rows = []
    for _ in range(draw(st.integers(0, max_rows))):
        length = d if draw(st.integers(0, 4)) else draw(st.integers(0, 4))
        rows.append("[" + ", ".join(draw(st.lists(entry, min_size=length, max_size=length))) + "]")
    if rows and draw(st.integers(0, 9)) == 0:
        rows[-1] = draw(st.sampled_from(["1", "null", '"1"', "{}"]))
    return "[" + ", ".join(rows) + "]"
# -- points in the plane ----------------------------------------------------------------------

# Scales applied to a whole configuration: they keep its collinear triples and repeated points
# exact while moving the integers to int64, to Python ints, and beyond the float range.
_plane_scales = st.sampled_from(
    [Fraction(1), Fraction(1, 2), Fraction(1, 3**20), Fraction(2**-60), Fraction(10**200)]
)


@st.composite
def plane_points(draw, min_size: int = 1, max_size: int = 7) -> list[list[Fraction]]:
    """Small integer points of a 5x5 grid, scaled and shifted together (collinear triples,
    repeated points and axis-parallel lines are common)."""
    n = draw(st.integers(min_size, max_size))
    grid = st.lists(st.integers(-2, 2), min_size=2, max_size=2)
    pts = draw(st.lists(grid, min_size=n, max_size=n))
    scale = draw(_plane_scales)
    shift = draw(st.lists(small_rationals, min_size=2, max_size=2))
    return [[scale * a + shift[0], scale * b + shift[1]] for a, b in pts]


@st.composite
def general_position_points(draw, min_size: int = 1, max_size: int = 14) -> list[list[int]]:
    """Distinct integer points, no three on a line."""
    n = draw(st.integers(min_size, max_size))
    pts: list[tuple[int, int]] = []
    coords = st.tuples(st.integers(-60, 60), st.integers(-60, 60))
    for _ in range(n):

        def fresh(p, pts=tuple(pts)):
            if p in pts:
                return False
            return all(
                (q[0] - p[0]) * (r[1] - p[1]) != (q[1] - p[1]) * (r[0] - p[0])
                for i, q in enumerate(pts)
                for r in pts[i + 1 :]
            )

        pts.append(draw(coords.filter(fresh)))
    return [list(p) for p in pts]


@st.composite
def affine_maps(draw) -> tuple[list[list[Fraction]], list[Fraction]]:
    """An invertible affine map ``x -> A x + c`` of the plane with small rational entries."""
    A = draw(
        st.lists(st.lists(small_rationals, min_size=2, max_size=2), min_size=2, max_size=2)
        .filter(lambda m: m[0][0] * m[1][1] != m[0][1] * m[1][0])
    )
    c = draw(st.lists(small_rationals, min_size=2, max_size=2))
    return A, c


@st.composite
def plane_networks(draw, max_free: int = 3, floats: bool = False):
    """2-D :class:`NetworkNd` with planted coincidences: parallel lines, a concurrent triple,
    duplicated neurons, a cancelling pair (a neuron and its negation: ``v relu(z) - v relu(-z)``
    is affine), constant neurons (``w_j = 0``) and zero output weights.

    With ``floats=True`` the entries are small dyadic rationals held as float64 arrays.
    """
    import numpy as np

    from pwl_kkt import NetworkNd

    values = dyadic_values if floats else small_rationals
    nonzero = values.filter(bool)
    neurons = [
        (draw(values), draw(values), draw(values), draw(values))
        for _ in range(draw(st.integers(0, max_free)))
    ]
    if draw(st.booleans()):  # parallel lines: one direction, several offsets, either orientation
        w1, w2 = draw(nonzero), draw(values)
        for b in draw(st.lists(values, min_size=2, max_size=3, unique=True)):
            s = draw(st.sampled_from([1, -1, 2]))
            neurons.append((s * w1, s * w2, s * b, draw(values)))
    if draw(st.booleans()):  # three lines through one rational point
        px, py = draw(values), draw(values)
        for _ in range(3):
            w1, w2 = draw(nonzero), draw(values)
            neurons.append((w1, w2, -(w1 * px + w2 * py), draw(nonzero)))
    if neurons and draw(st.booleans()):  # a duplicate on the same line, same orientation
        w1, w2, b, v = draw(st.sampled_from(neurons))
        neurons.append((2 * w1, 2 * w2, 2 * b, draw(values)))
    if neurons and draw(st.booleans()):  # a cancelling copy: jumps v |s| and -v |s| add to 0
        w1, w2, b, v = draw(st.sampled_from(neurons))
        neurons.append((-w1, -w2, -b, -v))
    if draw(st.booleans()):  # a constant neuron, no line
        neurons.append((0, 0, draw(values), draw(values)))
    if not neurons:
        neurons.append((draw(values), draw(values), draw(values), draw(values)))
    neurons = draw(st.permutations(neurons))
    w = [[Fraction(n[0]), Fraction(n[1])] for n in neurons]
    b = [Fraction(n[2]) for n in neurons]
    v = [Fraction(n[3]) for n in neurons]
    if floats:
        return NetworkNd(*(np.array(t, dtype=float) for t in (w, b, v)))
    return NetworkNd(w, b, v)


@st.composite
def plane_boxes(draw, floats: bool = False):
    """A box ``(xlo, xhi, ylo, yhi)`` with an interior, on the same small grid as
    :func:`plane_networks` (so lines and crossings often lie on its sides and corners)."""
    values = dyadic_values if floats else small_rationals
    xs = draw(st.lists(values, min_size=2, max_size=2, unique=True))
    ys = draw(st.lists(values, min_size=2, max_size=2, unique=True))
    return min(xs), max(xs), min(ys), max(ys)


@st.composite
def signed_zero_twins(draw, max_width: int = 4):
    """Two float :class:`NetworkNd` equal as values, differing only in the signs of zeros.

    Entries come from a pool rich in ``0.0`` and ``-0.0``; the twin flips the sign of every
    zero, so ``==`` (which compares values) holds while the bytes of the arrays differ.
    """
    import numpy as np

    from pwl_kkt import NetworkNd

    d, k = draw(st.integers(1, 3)), draw(st.integers(1, max_width))
    pool = st.sampled_from([0.0, -0.0, 0.0, 1.0, -0.5])

    def array(*shape: int) -> np.ndarray:
        n = int(np.prod(shape))
        return np.array(draw(st.lists(pool, min_size=n, max_size=n))).reshape(shape)

    def flip(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else np.where(a == 0, -a, a)

    w, v = array(k, d), array(k)
    b = array(k) if draw(st.booleans()) else None
    return NetworkNd(w, b, v), NetworkNd(flip(w), flip(b), flip(v))
# --- KKT on R^d (issue 11) -------------------------------------------------------------------

_TURNS = [(Fraction(3, 5), Fraction(4, 5)), (Fraction(4, 5), Fraction(-3, 5)),
          (Fraction(12, 13), Fraction(5, 13)), (Fraction(-8, 17), Fraction(15, 17))]


def rotate_plane(vec, a: int, b: int, turn):
    """``vec`` turned in the plane of coordinates a and b by the rational rotation ``(c, s)``."""
    c, s = turn
    out = list(vec)
    out[a], out[b] = c * vec[a] - s * vec[b], s * vec[a] + c * vec[b]
    return out


@st.composite
def kkt_instances_nd(draw, dims=(2, 3)):
    """Exact KKT points of Problem (4) on R^d, by construction, d drawn from ``dims``.

    Families: (g) clusters of mirrored support points with neurons pointing at their centres
    (``pwl_kkt.kkt._synth_nd``, with or without hidden biases); (r) a univariate instance
    (``kkt_instances``, Clarke weights included) embedded in the first coordinate and turned by
    rational rotations, with points off the line added where the margin only grows. A global
    scale and a neuron permutation are drawn on top.
    """
    from pwl_kkt import DatasetNd, NetworkNd
    from pwl_kkt.kkt._synth_nd import kkt_instance_nd

    d = draw(st.sampled_from(dims))
    if draw(st.booleans()):
        bias = draw(st.booleans())
        clusters = draw(st.integers(1, d + 1))
        pairs = draw(st.integers(0, 2))
        per = 2 * pairs if pairs else 1
        k = draw(st.integers(clusters, clusters + 4))
        n = clusters * per + draw(st.integers(0, 4))
        seed = draw(st.integers(0, 10**6))
        net, data = kkt_instance_nd(d, k, n, clusters=clusters, pairs=pairs, bias=bias, seed=seed)
    else:
        uni, udata = draw(kkt_instances())
        w, b, v = uni.fractions()
        rows = [[wj] + [Fraction(0)] * (d - 1) for wj in w]
        pts = [[xi] + [Fraction(0)] * (d - 1) for xi in udata.x_exact]
        ys = udata.y.tolist()
        for xi, yi in zip(list(udata.x_exact), list(ys)):
            # the network ignores coordinates 2..d, so moved copies of a point keep its margin;
            # copies of non-support points only (a support copy would enter the system)
            off = draw(st.sampled_from([Fraction(1), Fraction(-2)]))
            if yi * uni.exact_value(xi) > min(yi2 * uni.exact_value(x2)
                                              for x2, yi2 in zip(udata.x_exact, ys)):
                pts.append([xi, off] + [Fraction(0)] * (d - 2))
                ys.append(yi)
        for a, c in ((0, 1), (1, d - 1)) if d > 2 else ((0, 1),):
            turn = draw(st.sampled_from(_TURNS))
            rows = [rotate_plane(r, a, c, turn) for r in rows]
            pts = [rotate_plane(p, a, c, turn) for p in pts]
        net, data = NetworkNd(rows, b, v), DatasetNd(pts, ys)
    net = net.scaled(draw(positive_rationals))
    order = draw(st.permutations(range(net.width)))
    return net.permuted(order), data


def _margins_nd(net, data) -> list[Fraction]:
    return [int(yi) * net.exact_value(xi) for xi, yi in zip(data.x_exact, data.y.tolist())]


def _rebuilt_nd(net, w, b, v):
    from pwl_kkt import NetworkNd

    return NetworkNd(w, b if net.has_bias else None, v)


@st.composite
def perturbed_kkt_instances_nd(draw, dims=(2, 3)):
    """A KKT instance on R^d with one parameter moved by a small rational (usually not KKT).

    Draws are rejected (``assume``) when the perturbation misclassifies a point.
    """
    from hypothesis import assume

    net, data = draw(kkt_instances_nd(dims))
    w, b, v = ([list(r) for r in net.fractions()[0]], list(net.fractions()[1]),
               list(net.fractions()[2]))
    j = draw(st.integers(0, net.width - 1))
    step = draw(st.sampled_from([Fraction(1, 7), Fraction(-1, 7), Fraction(1, 3)]))
    where = draw(st.sampled_from(["w", "v"] + (["b"] if net.has_bias else [])))
    if where == "w":
        w[j][draw(st.integers(0, net.d - 1))] += step
    elif where == "b":
        b[j] += step
    else:
        v[j] += step
    new = _rebuilt_nd(net, w, b, v)
    assume(all(q > 0 for q in _margins_nd(new, data)))
    return new, data


@st.composite
def rotated_kkt_instances_nd(draw, dims=(2, 3)):
    """A KKT instance on R^d with one neuron's ``u_j = (w_j, b_j)`` turned by a rational rotation.

    The neuron stays balanced (``|v_j| = ||u_j||``), so only the multiplier system (a Farkas
    vector when it fails) can tell whether the point is still KKT.
    """
    from hypothesis import assume

    net, data = draw(kkt_instances_nd(dims))
    w, b, v = net.fractions()
    live = [j for j in range(net.width) if v[j]]
    assume(live)
    j = draw(st.sampled_from(live))
    u = list(w[j]) + ([b[j]] if net.has_bias else [])
    a, c = draw(st.sampled_from([(p, q) for p in range(len(u)) for q in range(p + 1, len(u))]))
    u = rotate_plane(u, a, c, draw(st.sampled_from(_TURNS)))
    w = [list(r) for r in w]
    b = list(b)
    w[j] = u[: net.d]
    if net.has_bias:
        b[j] = u[net.d]
    new = _rebuilt_nd(net, w, b, v)
    assume(all(q > 0 for q in _margins_nd(new, data)))
    return new, data


@st.composite
def dyadic_networks_nd(draw, d: int | None = None, max_width: int = 6, bias: bool | None = None):
    """Float :class:`NetworkNd` with small dyadic entries (d drawn in 1..3 unless given).

    With :func:`dyadic_datasets_nd` every pre-activation ``w_j . x_i + b_j`` is exact in
    float64 whatever the summation order, so kinks exactly on data points are frequent and
    every engine agrees on them.
    """
    import numpy as np

    from pwl_kkt import NetworkNd

    d = draw(st.integers(1, 3)) if d is None else d
    k = draw(st.integers(1, max_width))
    has_bias = draw(st.booleans()) if bias is None else bias

    def block(*shape: int) -> np.ndarray:
        size = int(np.prod(shape))
        values = draw(st.lists(dyadic_values, min_size=size, max_size=size))
        return np.array([float(q) for q in values]).reshape(shape)

    return NetworkNd(block(k, d), block(k) if has_bias else None, block(k))


@st.composite
def dyadic_datasets_nd(draw, d: int, min_size: int = 1, max_size: int = 10):
    """Float :class:`DatasetNd` in R^d with distinct small dyadic points and any labels."""
    import numpy as np

    from pwl_kkt import DatasetNd

    points = st.tuples(*[dyadic_values] * d)
    rows = draw(st.lists(points, min_size=min_size, max_size=max_size, unique=True))
    y = draw(st.lists(st.sampled_from([-1, 1]), min_size=len(rows), max_size=len(rows)))
    return DatasetNd(np.array([[float(q) for q in r] for r in rows]).reshape(len(rows), d), y)


@st.composite
def plane_datasets(draw, min_size: int = 1, max_size: int = 7, grid: int = 3):
    """Exact :class:`DatasetNd` in the plane on a small integer grid: collinear triples and
    repeated points (with one label, so the data stay separable) are common."""
    from pwl_kkt import DatasetNd

    coord = st.integers(-grid, grid)
    pts = draw(st.lists(st.tuples(coord, coord), min_size=min_size, max_size=max_size))
    labels = {p: draw(st.sampled_from([-1, 1])) for p in pts}
    return DatasetNd([list(p) for p in pts], [labels[p] for p in pts])


@st.composite
def plane_multipliers(draw, n: int):
    """Multipliers ``lambda_i >= 0`` with small denominators (many exact ties), some zero."""
    return draw(st.lists(
        st.builds(Fraction, st.integers(0, 4), st.integers(1, 3)), min_size=n, max_size=n
    ))




# --- orthogonally separable data (Phuong & Lampert 2021) --------------------------------------

_PYTHAGOREAN = [(Fraction(3, 5), Fraction(4, 5)), (Fraction(5, 13), Fraction(12, 13)),
                (Fraction(8, 17), Fraction(15, 17)), (Fraction(20, 29), Fraction(21, 29))]


@st.composite
def rational_rotations(draw, d: int) -> list[list[Fraction]]:
    """An exact orthogonal d x d matrix: a product of Givens rotations by Pythagorean triples
    (``c^2 + s^2 = 1`` in QQ), each in a drawn coordinate plane, and a drawn reflection."""
    q = [[Fraction(int(r == c)) for c in range(d)] for r in range(d)]
    if d == 1:
        return [[draw(st.sampled_from([Fraction(1), Fraction(-1)]))]]
    for _ in range(draw(st.integers(1, 3))):
        a, b = draw(st.lists(st.integers(0, d - 1), min_size=2, max_size=2, unique=True))
        c, s = draw(st.sampled_from(_PYTHAGOREAN))
        for row in q:
            row[a], row[b] = c * row[a] - s * row[b], s * row[a] + c * row[b]
    if draw(st.booleans()):
        q[0] = [-t for t in q[0]]
    return q


@st.composite
def orthogonal_datasets(draw, d: int | None = None, max_size: int = 7):
    """Exact orthogonally separable :class:`DatasetNd` (d in 1..3 unless given).

    Positives ``p (1, t)``, negatives ``q (-1, t')`` with ``p, q > 0`` and ``|t_c| <= 1/3``
    (so ``|t| <= sqrt(2)/3`` and ``|t| |t'| < 1``: equal labels have ``x . x' > 0``,
    different ones ``x . x' < 0``), then turned by an exact rotation.
    """
    from pwl_kkt import DatasetNd

    d = draw(st.integers(1, 3)) if d is None else d
    n = draw(st.integers(1, max_size))
    ys = draw(st.lists(st.sampled_from([-1, 1]), min_size=n, max_size=n))
    tilt = st.builds(Fraction, st.integers(-2, 2), st.just(6))
    points = []
    for label in ys:
        scale = draw(positive_rationals)
        t = draw(st.lists(tilt, min_size=d - 1, max_size=d - 1))
        points.append([scale * label] + [scale * c for c in t])
    q = draw(rational_rotations(d))
    rotated = [[sum((q[r][c] * p[c] for c in range(d)), Fraction(0)) for r in range(d)]
               for p in points]
    return DatasetNd(rotated, ys)
