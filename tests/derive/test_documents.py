"""`ssr derive --check`: the committed derivations are what SymPy produces now."""
import pytest

from derive import documents

pytestmark = pytest.mark.slow  # regenerating every document takes ~17 s


def test_committed_derivations_are_current():
    assert documents.write_all(check=True) == 0


def test_check_detects_a_stale_document(tmp_path, capsys):
    assert documents.write_all(directory=tmp_path) == 0
    assert documents.write_all(check=True, directory=tmp_path) == 0
    path = tmp_path / "spiked.md"
    path.write_text(path.read_text(encoding="utf-8").replace(r"\theta_{c} = \sqrt{\gamma}", r"\theta_{c} = \gamma"),
                    encoding="utf-8")
    assert documents.write_all(check=True, directory=tmp_path) == 1
    assert "spiked.md" in capsys.readouterr().err


def test_documents_show_each_derivation_once_and_in_order():
    docs = documents.documents()
    iso, spk = docs["isotropic.md"], docs["spiked.md"]
    # the quadratic is solved before the branch is chosen, and the branch before κ
    assert iso.index("Clearing denominators") < iso.index("Branch choice") < iso.index("(E2) with")
    assert iso.count("Clearing denominators") == 1
    # spiked.md relies on isotropic.md instead of repeating it
    assert "Clearing denominators" not in spk
    assert spk.index("## PCA") < spk.index("## SSR")
    assert r"\theta_{c} = \sqrt{\gamma}" in spk
