"""Effective regions in the plane: exact counts, polygons, merging, invariances, bad input."""

from __future__ import annotations

import functools
from fractions import Fraction
from unittest import mock

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pwl_kkt import (
    InvalidNetworkError,
    InvalidValueError,
    Network,
    NetworkNd,
    count_regions,
    linear_regions,
    merged_regions,
    region_graph,
)
from pwl_kkt.geometry import plane

from .strategies import (
    affine_maps,
    plane_boxes,
    plane_networks,
    positive_rationals,
    small_rationals,
)

# --- an independent brute force -----------------------------------------------------------
# It shares nothing with the library but NetworkNd's parameters: no jump formula, no Euler
# formula, no hashing. The raw faces cut by every neuron's line are found as the distinct
# sign vectors of sample points, taken in every angular sector around every vertex of the
# clipped arrangement (each face is a convex polygon, so it owns a sector at one of its
# vertices). The affine map of N on a face is read off the active neurons at its sample.
# Effective regions are the connected components of faces that differ in one line's side
# (so share an edge) and carry the same affine map.


def _lines_of(net: NetworkNd) -> list[tuple[Fraction, Fraction, Fraction]]:
    """Distinct lines ``p x + q y + r = 0``, scaled so the first nonzero of (p, q) is 1."""
    lines = set()
    for (w1, w2), b in zip(net.fractions()[0], net.fractions()[1]):
        if w1 or w2:
            lead = w1 if w1 else w2
            lines.add((w1 / lead, w2 / lead, b / lead))
    return sorted(lines)


def _side(line, pt) -> Fraction:
    return line[0] * pt[0] + line[1] * pt[1] + line[2]


def _before(u, v) -> int:
    """Order integer-like direction vectors by angle in [0, 2 pi)."""
    hu = 0 if u[1] > 0 or (u[1] == 0 and u[0] > 0) else 1
    hv = 0 if v[1] > 0 or (v[1] == 0 and v[0] > 0) else 1
    if hu != hv:
        return hu - hv
    cross = u[0] * v[1] - u[1] * v[0]
    return -1 if cross > 0 else (1 if cross < 0 else 0)


def _crossings(lines):
    for i, p in enumerate(lines):
        for q in lines[i + 1 :]:
            det = p[0] * q[1] - p[1] * q[0]
            if det:
                yield (p[1] * q[2] - p[2] * q[1]) / det, (p[2] * q[0] - p[0] * q[2]) / det


def _vertices(lines, box):
    """Corners, crossings inside, and the points where lines meet the box's sides."""
    xlo, xhi, ylo, yhi = box
    on_box = lambda p: xlo <= p[0] <= xhi and ylo <= p[1] <= yhi  # noqa: E731
    points = {(xlo, ylo), (xlo, yhi), (xhi, ylo), (xhi, yhi)}
    points |= {p for p in _crossings(lines) if xlo < p[0] < xhi and ylo < p[1] < yhi}
    for p in lines:
        for x in (xlo, xhi):  # meets the vertical sides
            if p[1]:
                pt = (x, -(p[0] * x + p[2]) / p[1])
                if on_box(pt):
                    points.add(pt)
        for y in (ylo, yhi):
            if p[0]:
                pt = (-(p[1] * y + p[2]) / p[0], y)
                if on_box(pt):
                    points.add(pt)
    return points


def _samples(lines, box):
    xlo, xhi, ylo, yhi = box
    for v in _vertices(lines, box):
        through = [ln for ln in lines if _side(ln, v) == 0]
        dirs = []
        for ln in through:
            dirs += [(-ln[1], ln[0]), (ln[1], -ln[0])]
        inward = []  # sides of the box through v, with the inward normal
        one, zero = Fraction(1), Fraction(0)
        for coord, value, normal in ((0, xlo, (one, zero)), (0, xhi, (-one, zero)),
                                     (1, ylo, (zero, one)), (1, yhi, (zero, -one))):
            if v[coord] == value:
                inward.append(normal)
                dirs += [(normal[1], -normal[0]), (-normal[1], normal[0])]
        dirs = sorted(set(dirs), key=functools.cmp_to_key(_before))
        for d1, d2 in zip(dirs, dirs[1:] + dirs[:1]):
            n1 = abs(d1[0]) + abs(d1[1])
            n2 = abs(d2[0]) + abs(d2[1])
            u = (d1[0] / n1 + d2[0] / n2, d1[1] / n1 + d2[1] / n2)
            if u == (0, 0) or d1 == d2:  # a half plane: turn d1 by +90 degrees
                u = (-d1[1], d1[0])
            if any(u[0] * n[0] + u[1] * n[1] <= 0 for n in inward):
                continue  # this sector lies outside the box
            r = Fraction(1)
            while True:
                s = (v[0] + r * u[0], v[1] + r * u[1])
                ok = xlo < s[0] < xhi and ylo < s[1] < yhi and all(
                    _side(ln, s) * _side(ln, v) > 0 for ln in lines if ln not in through
                )
                if ok:
                    yield s
                    break
                r /= 2


def _affine(net: NetworkNd, pt):
    gx = gy = off = Fraction(0)
    for (w1, w2), b, v in zip(*net.fractions()):
        if w1 * pt[0] + w2 * pt[1] + b > 0:
            gx, gy, off = gx + v * w1, gy + v * w2, off + v * b
    return gx, gy, off


def _big_box(lines):
    """A box holding every crossing and a point of every line strictly inside."""
    pts = [(Fraction(0), Fraction(0)), *_crossings(lines)]
    for ln in lines:
        n2 = ln[0] ** 2 + ln[1] ** 2
        pts.append((-ln[0] * ln[2] / n2, -ln[1] * ln[2] / n2))
    m = 1 + max(max(abs(p[0]), abs(p[1])) for p in pts)
    return -m, m, -m, m


def brute_force_count(net: NetworkNd, box=None) -> int:
    lines = _lines_of(net)
    if box is None:
        box = _big_box(lines)
    box = tuple(Fraction(t) for t in box)
    faces = {}
    for s in _samples(lines, box):
        faces[tuple(_side(ln, s) > 0 for ln in lines)] = _affine(net, s)
    keys = list(faces)
    parent = {k: k for k in keys}

    def find(k):
        while parent[k] != k:
            k = parent[k]
        return k

    for i, a in enumerate(keys):
        for c in keys[i + 1 :]:
            if sum(x != y for x, y in zip(a, c)) == 1 and faces[a] == faces[c]:
                parent[find(a)] = find(c)
    return len({find(k) for k in keys})


# --- the exact count ----------------------------------------------------------------------


@given(plane_networks(), st.one_of(st.none(), plane_boxes()))
def test_count_equals_brute_force(net, box):
    assert count_regions(net, box=box) == brute_force_count(net, box)


@given(plane_networks(floats=True), st.one_of(st.none(), plane_boxes(floats=True)))
def test_float_network_counts_its_exact_values(net, box):
    # Dyadic entries: crossings on the box's sides and corners are common, so the float
    # filter's undecided cases run; the exact network takes the same path without floats.
    assert count_regions(net, box=box) == count_regions(net.to_exact(), box=box)
    assert count_regions(net, box=box) == brute_force_count(net.to_exact(), box)


@given(plane_networks(max_free=4), st.one_of(st.none(), plane_boxes()),
       st.sampled_from([2, 3, 5, 7]), st.integers(1, 4))
def test_tiny_primes_run_every_collision_path(net, box, prime, block):
    # With keys modulo 2..7 most keys collide, whole keys vanish (Z = 0 modulo p), and the
    # key buckets split: every exact fallback decides, and the count must not move.
    expected = brute_force_count(net, box)
    with mock.patch.object(plane, "_P", prime), mock.patch.object(plane, "_BLOCK", block), \
            mock.patch.object(plane, "_BUCKET", 2):
        assert count_regions(net, box=box) == expected


def test_known_arrangements():
    through_origin = NetworkNd([[1, j] for j in range(6)], None, [1] * 6)
    assert count_regions(through_origin) == 12
    parallel = NetworkNd([[1, 1]] * 4, [0, 1, 2, 3], [1, 1, 1, 1])
    assert count_regions(parallel) == 5
    grid = NetworkNd([[1, 0]] * 3 + [[0, 1]] * 2, [0, -1, -2, 0, 5], [1] * 5)
    assert count_regions(grid) == 12  # x = 0, 1, 2 and y = 0, -5
    assert count_regions(grid, box=(Fraction(1, 2), 3, -1, 1)) == 6  # x = 1, 2 and y = 0
    assert count_regions(grid, box=(0, 1, -5, 0)) == 1  # lines on the sides only
    cancelling = NetworkNd([[1, 2], [-1, -2]], [3, -3], [5, -5])  # 5 (x + 2y + 3), affine
    assert count_regions(cancelling) == 1
    assert linear_regions(cancelling).regions[0].gradient == (5, 10)
    assert count_regions(NetworkNd([[0, 0]], [1], [1])) == 1  # a constant


def test_many_lines_through_one_point():
    # One point of multiplicity m: every pair's key is shared and decided at once.
    m = 400
    net = NetworkNd(np.column_stack([np.ones(m), np.arange(m) / 7.0]),
                    np.full(m, -3.0), np.ones(m))  # all lines pass through (3, 0)
    assert count_regions(net) == 2 * m
    assert count_regions(net, box=(2, 4, -1, 1)) == 2 * m
    assert count_regions(net, box=(3, 4, 0, 1)) == 1  # the point is a corner; no line enters


def test_random_float_network_is_in_general_position():
    rng = np.random.default_rng(5)
    k = 300
    net = NetworkNd(rng.standard_normal((k, 2)), rng.standard_normal(k), rng.standard_normal(k))
    assert count_regions(net) == 1 + k + k * (k - 1) // 2


# --- polygons, affine maps, merging -------------------------------------------------------


def _area(vertices) -> Fraction:
    pts = list(vertices)
    return sum((p[0] * q[1] - q[0] * p[1] for p, q in zip(pts, pts[1:] + pts[:1])),
               Fraction(0)) / 2


@given(plane_networks(), st.one_of(st.none(), plane_boxes()))
def test_polygons_tile_the_box_with_exact_affine_maps(net, box):
    result = linear_regions(net, box=box)
    assert result.count == count_regions(net, box=box)
    xlo, xhi, ylo, yhi = result.box
    assert sum(_area(r.vertices) for r in result.regions) == (xhi - xlo) * (yhi - ylo)
    for r in result.regions:
        assert _area(r.vertices) > 0
        for pt in (*r.vertices, r.inner_point()):  # N is continuous: exact on the closure
            assert net.exact_value(pt) == r.gradient[0] * pt[0] + r.gradient[1] * pt[1] + r.offset
    for r, s, line in result.adjacency:  # neighbours differ by the jump of their line
        a, b = result.regions[r], result.regions[s]
        diff = (b.gradient[0] - a.gradient[0], b.gradient[1] - a.gradient[1], b.offset - a.offset)
        ln = result.lines[line]
        assert diff in {(t * ln.a, t * ln.b, t * ln.c) for t in (ln.jump, -ln.jump)}


@given(plane_networks(), st.one_of(st.none(), plane_boxes()))
def test_merging_the_raw_faces_gives_the_effective_regions(net, box):
    graph = region_graph(net, box=box)
    merged = merged_regions(graph)
    assert len(merged) == count_regions(net, box=box)
    # Without a box the graph's own box holds every vertex of the raw arrangement.
    assert merged == linear_regions(net, box=graph.graph["box"]).regions


def test_default_box_holds_every_vertex():
    net = NetworkNd([[1, 0], [0, 1], [1, 1]], [0, 0, -10], [1, 1, 1])
    result = linear_regions(net)
    assert not result.box_given and result.count == count_regions(net) == 7
    unbounded = [r for r in result.regions if r.clipped]
    assert len(unbounded) == 6  # one bounded triangle, (0,0), (10,0), (0,10)
    (triangle,) = [r for r in result.regions if not r.clipped]
    assert set(triangle.vertices) == {(0, 0), (10, 0), (0, 10)}


def test_tables_and_json():
    result = linear_regions(NetworkNd([[1, 0]], [0], [1]), box=(-1, 1, -1, 1))
    data = result.to_dict()
    assert data["count"] == 2 and data["d"] == 2 and data["box"] == ["-1", "1", "-1", "1"]
    assert data["lines"] == [{"a": "1", "b": "0", "c": "0", "jump": "1", "neurons": [0]}]
    assert "0.5" in linear_regions(NetworkNd([[2, 0]], [-1], [1])).table(digits=3)


# --- invariances --------------------------------------------------------------------------


@given(plane_networks(), st.randoms(use_true_random=False))
def test_neuron_order_does_not_matter(net, rnd):
    order = list(range(net.width))
    rnd.shuffle(order)
    other = net.permuted(order)
    assert count_regions(other) == count_regions(net)
    assert linear_regions(other).regions == linear_regions(net).regions


@given(plane_networks(), positive_rationals)
def test_positive_scaling_keeps_the_regions(net, a):
    # N_{a theta} = a^2 N_theta: same lines, same regions, maps scaled by a^2.
    scaled = linear_regions(net.scaled(a))
    base = linear_regions(net)
    assert scaled.count == base.count == count_regions(net.scaled(a))
    assert [r.vertices for r in scaled.regions] == [r.vertices for r in base.regions]
    assert [r.offset for r in scaled.regions] == [a * a * r.offset for r in base.regions]


def _composed(net: NetworkNd, m, t) -> NetworkNd:
    """The network x -> N(M x + t): w_j' = M^T w_j, b_j' = w_j . t + b_j."""
    w, b, v = net.fractions()
    w2 = [[r[0] * m[0][0] + r[1] * m[1][0], r[0] * m[0][1] + r[1] * m[1][1]] for r in w]
    b2 = [r[0] * t[0] + r[1] * t[1] + bj for r, bj in zip(w, b)]
    return NetworkNd(w2, b2, v)


@given(plane_networks(), affine_maps())
def test_affine_change_of_input_keeps_the_count(net, affine):
    assert count_regions(_composed(net, *affine)) == count_regions(net)


@given(plane_networks(), plane_boxes(), positive_rationals, positive_rationals,
       small_rationals, small_rationals, st.booleans())
def test_box_maps_to_box(net, box, sx, sy, tx, ty, swap):
    # x -> (sx x + tx, sy y + ty), possibly with the axes swapped, maps boxes to boxes.
    m = ((Fraction(0), sy), (sx, Fraction(0))) if swap else ((sx, Fraction(0)), (Fraction(0), sy))
    xlo, xhi, ylo, yhi = box
    # the preimage of the box under x -> M x + t
    if swap:  # M x + t = (sy x_2 + tx, sx x_1 + ty)
        pre = ((ylo - ty) / sx, (yhi - ty) / sx, (xlo - tx) / sy, (xhi - tx) / sy)
    else:
        pre = ((xlo - tx) / sx, (xhi - tx) / sx, (ylo - ty) / sy, (yhi - ty) / sy)
    assert count_regions(_composed(net, m, (tx, ty)), box=pre) == count_regions(net, box=box)


# --- dimensions and bad input -------------------------------------------------------------


def test_univariate_network_nd_is_the_univariate_path():
    net = Network([3, 6, 1], [-1, -2, 0], [2, -1, 1])
    nd = NetworkNd.from_univariate(net)
    assert count_regions(nd) == count_regions(net) == 2
    assert linear_regions(nd, interval=(1, 2)) == linear_regions(net, interval=(1, 2))


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: count_regions(NetworkNd([[1, 2, 3]], [0], [1])), InvalidNetworkError,
         "d = 1 or d = 2; this one has d = 3"),
        (lambda: linear_regions(NetworkNd([[1, 2, 3]], None, [1])), InvalidNetworkError, "d = 3"),
        (lambda: count_regions(Network([1], [0], [1]), box=(0, 1, 0, 1)), InvalidValueError,
         "box is for 2-D networks"),
        (lambda: count_regions(NetworkNd([[1, 2]], [0], [1]), interval=(0, 1)),
         InvalidValueError, "interval is for d = 1"),
        (lambda: count_regions(NetworkNd([[1, 2]], [0], [1]), tol=1e-6), InvalidValueError,
         "tolerance mode is for univariate networks"),
        (lambda: count_regions(NetworkNd([[1, 2]], [0], [1]), box=(1, 1, 0, 1)),
         InvalidValueError, "xlo = 1 must be below xhi = 1"),
        (lambda: count_regions(NetworkNd([[1, 2]], [0], [1]), box=(0, 1, 0)), InvalidValueError,
         "box must be (xlo, xhi, ylo, yhi)"),
        (lambda: linear_regions(NetworkNd([[1, 2]], [0], [1]), box=(0, 1, "nan", 1)),
         InvalidValueError, "box ylo"),
        (lambda: plane.effective_lines(NetworkNd([[1]], [0], [1])), InvalidNetworkError,
         "need a network with d = 2; got d = 1"),
    ],
)
def test_bad_input_is_named(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)


# --- the command line ---------------------------------------------------------------------


def _write(tmp_path, w, b, v):
    import json

    path = tmp_path / "net.json"
    path.write_text(json.dumps({"w": w, "b": b, "v": v}))
    return path


def test_cli_counts_regions_in_the_plane(run_cli, tmp_path):
    import json

    # x = 0, y = 0, and x + y = 1 carried by two neurons whose jumps 1/2 and 1/4 * 2 add.
    path = _write(tmp_path, [[1, 0], [0, 1], [1, 1], [-2, -2]], [0, 0, -1, 2],
                  [1, 1, "1/2", "1/4"])
    code, out, err = run_cli("regions", path, "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["count"] == 7 and data["d"] == 2 and data["box"] is None
    assert data["lines"][2] == {"a": "1", "b": "1", "c": "-1", "jump": "1", "neurons": [2, 3]}
    code, out, _ = run_cli("regions", path, "--json", "--box", "0", "1", "0", "1/2")
    assert json.loads(out)["count"] == 2 and json.loads(out)["box"] == ["0", "1", "0", "1/2"]
    code, out, _ = run_cli("regions", path, "--digits", "3")
    assert code == 0 and out.startswith("7 effective linear region(s) on R^2 (exact); 3 line(s)")


@pytest.mark.parametrize(
    "w, args, words",
    [
        ([[1, 0]], ["--interval", "0", "1"], "--interval LO HI is for d = 1 networks"),
        ([[1, 0]], ["--tol", "0.1"], "--tol is for d = 1 networks"),
        ([[1, 0]], ["--box", "0", "0", "0", "1"], "xlo = 0 must be below xhi = 0"),
        ([[1, 0]], ["--box", "0", "1", "0", "x"], "YHI"),
        ([[1, 0, 0]], [], "d = 1 or d = 2"),
        ([[1]], ["--box", "0", "1", "0", "1"], "--box is for d = 2 networks"),
    ],
)
def test_cli_bad_plane_options_are_one_line(run_cli, tmp_path, w, args, words):
    path = _write(tmp_path, w, [0], [1])
    code, out, err = run_cli("regions", path, *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and words in err
