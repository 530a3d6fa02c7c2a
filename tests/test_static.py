"""Checks that need no store: model, constraints file, SDL copy, compose file, descriptions."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

from graph_api.domain.model import KINDS, relationship_types, target_kinds, KIND_BY_NAME
from graph_api.graphql.schema import build_schema

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_kind_has_a_unique_business_key_constraint() -> None:
    text = (ROOT / "schema/constraints.cypher").read_text(encoding="utf-8")
    for kind in KINDS:
        assert re.search(rf"FOR \(n:{kind.name}\) REQUIRE n\.id IS UNIQUE", text), kind.name
        if kind.scoped:
            assert re.search(rf"FOR \(n:{kind.name}\) ON \(n\.communityId\)", text), kind.name
    assert "FOR (n:Grid) REQUIRE n.code IS UNIQUE" in text


def test_relationship_targets_are_known_kinds() -> None:
    for kind in KINDS:
        for rel in kind.rels:
            for target in target_kinds(rel.target):
                assert target in KIND_BY_NAME, (kind.name, rel.field, target)
    assert "PART_OF" in relationship_types()


def test_sdl_copy_is_current() -> None:
    """schema/schema.graphql must match the schema; regenerate with `make schema`."""
    current = build_schema().as_str() + "\n"
    stored = (ROOT / "schema/schema.graphql").read_text(encoding="utf-8")
    assert stored == current, "schema/schema.graphql is stale: run `make schema`"


def test_model_document_is_current() -> None:
    from graph_api.domain.modeldoc import render

    assert (ROOT / "schema/model.md").read_text(encoding="utf-8") == render(), "run `make schema`"


def test_every_type_field_and_enum_value_has_a_chinese_description() -> None:
    schema = build_schema()._schema
    missing = []
    for name, gtype in schema.type_map.items():
        if name.startswith("__") or name in ("String", "Int", "Float", "Boolean", "ID", "Date"):
            continue
        if not (gtype.description and CJK.search(gtype.description)):
            missing.append(name)
        if isinstance(gtype, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for field_name, field in gtype.fields.items():
                if not (field.description and CJK.search(field.description)):
                    missing.append(f"{name}.{field_name}")
        if isinstance(gtype, GraphQLEnumType):
            for value_name, value in gtype.values.items():
                if not (value.description and CJK.search(value.description)):
                    missing.append(f"{name}.{value_name}")
    assert not missing, f"no Chinese description: {missing[:20]} ({len(missing)} in all)"


def test_compose_pins_the_launcher_neo4j_version() -> None:
    version = (ROOT / "devdb/NEO4J_VERSION").read_text().strip()
    assert re.fullmatch(r"5\.26\.\d+", version)
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert compose["services"]["neo4j"]["image"] == f"neo4j:{version}-community"
    api = compose["services"]["api"]
    assert api["environment"]["NEO4J_URI"] == "bolt://neo4j:7687"
    assert api["depends_on"]["neo4j"]["condition"] == "service_healthy"
    pom = (ROOT / "devdb/pom.xml").read_text(encoding="utf-8")
    assert "${neo4j.version}" in pom and "<artifactId>neo4j</artifactId>" in pom


def test_graphiql_assets_are_local() -> None:
    folder = ROOT / "graph_api/static/graphiql"
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert "__GRAPHIQL_EXAMPLES__" in page
    for src in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert not src.startswith(("http:", "https:", "//")), src
    assert any((folder / "licenses").iterdir())


def test_sample_file_is_what_the_builder_makes() -> None:
    """loaders/sample/qinghemen.json is generated: edit graph_api/sample/builder.py, then rebuild it."""
    from graph_api.sample.builder import build_sample, dumps

    assert (ROOT / "loaders/sample/qinghemen.json").read_text(encoding="utf-8") == dumps(build_sample())
