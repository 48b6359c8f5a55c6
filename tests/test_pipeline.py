"""Pipeline TOML loading through the schema."""

import dataclasses

import pytest

from gaitlab.errors import ConfigError
from gaitlab.pipeline import DEFAULT_PIPELINE, PipelineConfig, load_pipeline


def test_default_loads_and_hash_is_stable():
    a, b = load_pipeline(), load_pipeline("default")
    assert a == b
    assert a.hash() == b.hash() and len(a.hash()) == 64


def test_every_schema_field_is_in_default_toml():
    import tomllib

    raw = tomllib.loads(DEFAULT_PIPELINE.read_text())
    cfg = load_pipeline()
    for sec in (f.name for f in dataclasses.fields(PipelineConfig) if f.name != "name"):
        assert set(raw[sec]) == {f.name for f in dataclasses.fields(getattr(cfg, sec))}


def test_override_changes_value_and_hash(tmp_path):
    p = tmp_path / "mine.toml"
    p.write_text("[filter]\ncutoff_hz = 4.0\n")
    cfg = load_pipeline(p)
    assert cfg.filter.cutoff_hz == 4.0 and cfg.name == "mine"
    assert cfg.hash() != load_pipeline().hash()
    # integers are accepted where floats are expected
    assert isinstance(cfg.filter.cutoff_hz, float)


@pytest.mark.parametrize(
    "text, words",
    [
        ("[filter]\ncutof_hz = 4.0\n", ["filter.cutof_hz", "valid keys"]),
        ("[filtre]\ncutoff_hz = 4.0\n", ["filtre", "valid sections"]),
        ("[filter]\ncutoff_hz = 'six'\n", ["filter.cutoff_hz", "number"]),
        ("[pose]\nmodel_complexity = 2\n", ["model_complexity", "1"]),
        ("[walker]\nmax_people = 2.5\n", ["walker.max_people", "whole number"]),
        ("[filter\n", ["not valid TOML"]),
    ],
)
def test_bad_pipeline_files_name_the_problem(tmp_path, text, words):
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_pipeline(p)
    for w in words:
        assert w in str(err.value)


def test_missing_pipeline_file():
    with pytest.raises(ConfigError, match="does not exist"):
        load_pipeline("/nonexistent/file.toml")
