"""derive/tables.py: the one lookup of the name tables of derive/."""
import pytest

from derive import heteroscedastic, masking, spiked
from derive.tables import entry


def test_entry_returns_the_setting_and_names_the_valid_ones_otherwise():
    table = {"pca": 1, "ssr": 2}
    assert entry(table, "ssr", "method") == 2
    for bad in ("ridge", None, ["pca"]):
        with pytest.raises(ValueError, match=r"method: expected one of \('pca', 'ssr'\), got"):
            entry(table, bad, "method")


@pytest.mark.parametrize("module, lookup, names, what", [
    (spiked, "_setting", "METHODS", "method"),
    (heteroscedastic, "_setting", "METHODS", "method"),
    (masking, "_basis", "BASES", "basis"),
])
def test_each_derivation_table_refuses_an_unknown_name(module, lookup, names, what):
    assert all(getattr(module, lookup)(name) is not None for name in getattr(module, names))
    with pytest.raises(ValueError, match=f"{what}: expected one of"):
        getattr(module, lookup)("unknown")
