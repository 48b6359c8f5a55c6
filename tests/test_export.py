"""Atomic output folders and the data dictionary."""

import pytest

from gaitlab.export import AtomicOutputDir, DATA_DICTIONARY, undocumented_columns


def test_failed_write_leaves_nothing_and_keeps_old_results(tmp_path):
    target = tmp_path / "res"
    target.mkdir()
    (target / "old.csv").write_text("previous results\n")
    with pytest.raises(RuntimeError):
        with AtomicOutputDir(target) as tmp:
            (tmp / "landmarks.csv").write_text("half")
            raise RuntimeError("killed while writing")
    assert [p.name for p in tmp_path.iterdir()] == ["res"]
    assert (target / "old.csv").read_text() == "previous results\n"


def test_successful_write_replaces_the_folder_in_one_step(tmp_path):
    target = tmp_path / "res"
    target.mkdir()
    (target / "old.csv").write_text("x")
    with AtomicOutputDir(target) as tmp:
        (tmp / "new.csv").write_text("y")
        assert not (target / "new.csv").exists()  # nothing visible until complete
    assert sorted(p.name for p in target.iterdir()) == ["new.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["res"]
    assert oct(target.stat().st_mode & 0o777) != oct(0o700)  # an ordinary folder, not mkdtemp's private one


def test_dictionary_patterns():
    assert undocumented_columns("landmarks.csv", ["frame", "time_s", "nose_x_px", "left_heel_visibility"]) == []
    assert undocumented_columns("landmarks.csv", ["nose_speed"]) == ["nose_speed"]
    assert all(unit is not None and definition for cols in DATA_DICTIONARY.values() for unit, definition in cols.values())
