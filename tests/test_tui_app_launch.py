"""Starting the app from the command line: errors come first, as one line, before any screen."""

import pytest

from microgpt_tui.tui.command_line.main import main


def test_missing_data_file_is_one_line_and_exit_2(tmp_path, capsys, opened):
    assert main(["--data", str(tmp_path / "nope.txt")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("microgpt-tui: error:")
    assert opened == []


def test_temperature_outside_the_slider_is_refused(small_data, capsys, opened):
    assert main(["--data", str(small_data), "--temperature", "2.5"]) == 2
    assert "0 to 2" in capsys.readouterr().err
    assert opened == []


def test_options_reach_the_app(small_data, tmp_path, opened):
    log = tmp_path / "app.jsonl"
    status = main(["--data", str(small_data), "--paused", "--steps", "7", "--n-embd", "8", "--n-head", "2",
                   "--seed", "3", "--engine", "scalar", "--temperature", "0.8", "--num-samples", "4", "--log-jsonl", str(log)])
    assert status == 0
    (app,) = opened
    spec = app.spec
    assert spec.start_paused and spec.train.steps == 7 and spec.train.seed == 3 and spec.engine == "scalar"
    assert spec.config.n_embd == 8 and spec.config.n_head == 2 and spec.config.vocab_size == 17  # 16 letters and BOS
    assert app.progress.dataset.startswith("names") and app.progress.state is None
    assert app._initial_temperature == 0.8
    assert app._final_samples == 4
    assert log.exists()  # created up front, so a clash is reported before the app opens


def test_existing_log_is_refused_before_the_app_opens(small_data, tmp_path, capsys, opened):
    log = tmp_path / "app.jsonl"
    log.write_text("")
    assert main(["--data", str(small_data), "--log-jsonl", str(log)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert opened == []
