"""The package layout: subpackages by topic, and the flat 0.1 module paths still importable."""

import importlib
import pickle

import pytest

import pwl_kkt
from pwl_kkt import Network

SUBPACKAGES = ("model", "geometry", "kkt", "duality", "training", "setting", "experiments")


@pytest.mark.parametrize("old, new", sorted(pwl_kkt._FLAT_PATHS.items()))
def test_flat_module_path_is_the_moved_module(old: str, new: str) -> None:
    assert importlib.import_module(f"pwl_kkt.{old}") is importlib.import_module(f"pwl_kkt.{new}")


def test_documented_flat_imports_work() -> None:
    from pwl_kkt.exact import verify_kkt_exact
    from pwl_kkt.train import TrainingHistory

    from pwl_kkt.kkt import certify_kkt

    assert verify_kkt_exact is pwl_kkt.verify_kkt_exact
    assert certify_kkt is pwl_kkt.certify_kkt
    assert TrainingHistory is pwl_kkt.TrainingHistory
    assert callable(pwl_kkt.train)  # the function, not the module of the same name


@pytest.mark.parametrize("sub", SUBPACKAGES)
def test_subpackage_exports_are_public_api(sub: str) -> None:
    module = importlib.import_module(f"pwl_kkt.{sub}")
    assert module.__all__, sub
    for name in module.__all__:
        assert not name.startswith("_")
        assert getattr(module, name) is not None


def test_top_level_all_resolves() -> None:
    for name in pwl_kkt.__all__:
        assert hasattr(pwl_kkt, name), name


def test_values_pickle_by_their_new_home() -> None:
    net = Network(["1/3"], [0], [1])
    assert type(net).__module__ == "pwl_kkt.model.network"
    assert pickle.loads(pickle.dumps(net)) == net
