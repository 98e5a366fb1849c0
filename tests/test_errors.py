from __future__ import annotations

from huizhen.errors import HuizhenError, InputError, NotFoundError


def test_render_names_source_field_and_value() -> None:
    err = InputError("unknown HPO id", source="case.json", field="phenotypicFeatures[2].type.id",
                     value="HP:9999999")
    assert err.render() == (
        "case.json: phenotypicFeatures[2].type.id='HP:9999999': unknown HPO id"
    )
    assert err.exit_code == 2 and err.http_status == 422


def test_render_message_only() -> None:
    assert HuizhenError("boom").render() == "boom"
    assert NotFoundError("no such tenant").http_status == 404
