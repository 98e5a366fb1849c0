"""The HPO loader on a tiny release written here, and on the installed release."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from huizhen.errors import InputError, KnowledgeError
from huizhen.knowledge.hpo import Term, load_hpo, normalize_label

_FIXTURE = importlib.util.spec_from_file_location(
    "hpo_fixture", Path(__file__).with_name("hpo_fixture.py"))
assert _FIXTURE and _FIXTURE.loader
fixture = importlib.util.module_from_spec(_FIXTURE)
_FIXTURE.loader.exec_module(fixture)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return load_hpo(fixture.write_release(tmp_path_factory.mktemp("hpo")))


def test_tiny_terms_parsed_whole(tiny) -> None:  # type: ignore[no-untyped-def]
    assert tiny.release == "2099-01-01"
    assert sorted(tiny.terms) == ["HP:0000001", "HP:0000100", "HP:0000101", "HP:0000102",
                                  "HP:0000103", "HP:0000118", "HP:0000200", "HP:0000201",
                                  "HP:0003577", "HP:0003581", "HP:0040280"]
    assert tiny.terms["HP:0000101"] == Term(
        id="HP:0000101", name="Big head", synonyms=["Large head", "Macrocephalus"],
        synonym_scopes=["EXACT", "RELATED"], lay=["Large head"], zh=[],
        parents=["HP:0000100"], alt_ids=["HP:0000901"], definition=None)


def test_tiny_ancestors_descendants(tiny) -> None:  # type: ignore[no-untyped-def]
    assert tiny.ancestors("HP:0000102") == {"HP:0000102", "HP:0000101", "HP:0000100",
                                            "HP:0000118", "HP:0000001"}
    assert tiny.descendants("HP:0000100") == {"HP:0000100", "HP:0000101", "HP:0000102",
                                              "HP:0000103"}
    assert tiny.is_ancestor("HP:0000100", "HP:0000102")
    assert not tiny.is_ancestor("HP:0000102", "HP:0000100")


def test_tiny_resolve(tiny) -> None:  # type: ignore[no-untyped-def]
    assert tiny.resolve("HP:0000101") == ("HP:0000101", None)
    assert tiny.resolve("HP:0000901") == (
        "HP:0000101", "HP:0000901 is an alternative id of HP:0000101 (Big head)")
    assert tiny.resolve("HP:0000150") == (
        "HP:0000102", "HP:0000150 (obsolete Huge head) is obsolete, replaced by HP:0000102 "
        "(Very big head)")
    with pytest.raises(InputError) as err:
        tiny.resolve("HP:0000151", source="case.json", field="terms[0]")
    assert err.value.render() == ("case.json: terms[0]='HP:0000151': obsolete HPO term without "
                                  "replacement (obsolete Odd head); consider HP:0000100")
    with pytest.raises(InputError) as err:
        tiny.resolve("HP:12")
    assert err.value.render() == "HPO id='HP:12': malformed HPO id (expected HP:nnnnnnn)"
    with pytest.raises(InputError) as err:
        tiny.resolve("HP:0999999")
    assert err.value.exit_code == 2
    assert "unknown HPO id (not in HPO release 2099-01-01)" in err.value.render()


def test_tiny_label_lookup(tiny) -> None:  # type: ignore[no-untyped-def]
    assert tiny.lookup_label("big HEAD") == "HP:0000101"
    assert tiny.lookup_label(" large  head ") == "HP:0000101"
    assert tiny.lookup_label("abnormal head.") == "HP:0000100"
    assert tiny.lookup_label("no such thing") is None


def test_missing_dir(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError):
        load_hpo(tmp_path)


def test_normalize_label_traditional_chinese() -> None:
    assert normalize_label("癲癇 發作") == "癫痫发作"
    assert normalize_label("Ｓｅｉｚｕｒｅ") == "seizure"


def test_real_release() -> None:
    onto = load_hpo()
    assert onto.release == "2025-01-16"
    assert len(onto.terms) > 18000
    seizure = onto.terms["HP:0001250"]
    assert seizure.name == "Seizure"
    assert seizure.zh == ["癫痫发作"]
    assert seizure.parents == ["HP:0012638"]
    assert onto.lookup_label("癲癇發作") == "HP:0001250"
    assert onto.lookup_label("Seizures") == "HP:0001250"
    assert onto.lookup_label("小头畸形") == "HP:0000252"
    assert onto.ancestors("HP:0001250") == {"HP:0001250", "HP:0012638", "HP:0000707",
                                            "HP:0000118", "HP:0000001"}
    assert onto.resolve("HP:0001275")[0] == "HP:0001250"


def test_warm_start_only_unpickles(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ontology, annotations and ranker matrices come back from the disk cache: a warm
    start parses and builds nothing (its speed is measured in BENCHMARKS.md, not here)."""
    from huizhen.knowledge import annotations, hpo
    from huizhen.reasoning import rare, rare_model

    rare.load_ranker()
    for mod in (hpo, annotations, rare_model):
        mod._LOADED.clear()
    rare._RANKERS.clear()

    def rebuilt(*args: object, **kwargs: object) -> None:
        raise AssertionError("a warm start rebuilt from the release files")

    monkeypatch.setattr(hpo, "_build", rebuilt)
    monkeypatch.setattr(annotations, "parse_hpoa", rebuilt)
    monkeypatch.setattr(rare_model, "build_model", rebuilt)
    assert rare.load_ranker() is not None
