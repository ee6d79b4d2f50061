"""The playground's run side: train more, the pace, a branch, and `--resume --steps N`."""

import json
import math
import time
from dataclasses import replace

import pytest

from conftest import after_steps, kinds, names_file, receive_until, run_cli, run_spec
from microgpt_tui.engine import checkpoint
from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.engines import ENGINES
from microgpt_tui.engine.tokenizer import Tokenizer
from microgpt_tui.engine.trainer import Trainer
from microgpt_tui.tui.training.bridge import ChildProcessTraining, InProcessTraining
from microgpt_tui.tui.training.protocol import (Branch, Failed, Pause, Ready, Run, RunExtended, Save, SetPace, State,
                                                StateChanged, Step, StepsTaken, TrainMore)
from microgpt_tui.tui.training.session import TrainingSession
from microgpt_tui.tui.training.settings import RunSettings

NAMES = tuple("""emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily elizabeth
mila ella avery sofia camila aria scarlett victoria madison luna grace chloe penelope layla riley zoey
nora lily eleanor hannah lillian addison aubrey ellie stella natalie zoe leah hazel violet aurora
savannah audrey brooklyn bella claire skylar""".split())
CONFIG = ModelConfig(Tokenizer.from_documents(NAMES).vocab_size, n_embd=8, n_head=2, block_size=8)


def spec(steps=12, paused=True, engine="fast", lr=0.01):
    return run_spec(NAMES, CONFIG, TrainConfig(steps=steps, seed=42, learning_rate=lr), engine, start_paused=paused)


class Clock:
    """A clock that moves only when told, so the pace is tested without waiting."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def new_session(run, clock=None):
    sent: list = []
    return TrainingSession(run, sent.append, clock=clock or Clock()), sent


def records(sent):
    return [r for report in sent if isinstance(report, StepsTaken) for r in report.records]


def run_to_the_end(session):
    while session.running:
        session.advance()


# ---- TrainMore -------------------------------------------------------------------------


def test_train_more_after_done_reports_the_new_total_runs_and_matches_trainer_extend():
    session, sent = new_session(spec(steps=6, paused=False))
    assert sent[0] == Ready(session.trainer.held_out_positions, (), TrainConfig(steps=6, seed=42))
    run_to_the_end(session)
    assert session.state is State.DONE
    sent.clear()
    session.handle(TrainMore(4))
    assert sent == [RunExtended(total_steps=10, from_step=6), StateChanged(State.RUNNING)]
    run_to_the_end(session)
    assert session.state is State.DONE and session.trainer.step_count == 10
    steps = records(sent)
    assert [r.step for r in steps] == [7, 8, 9, 10]
    assert steps[0].lr == 0.01  # the new segment's decay starts again at the run's learning rate
    assert sent[-1].step == 10  # and the whole held-out set is scored at the new end

    plain = Trainer(NAMES, CONFIG, TrainConfig(steps=6, seed=42), "fast")
    for _ in range(6):
        plain.step()
    plain.extend(4)
    assert [r.loss for r in steps] == [plain.step().loss for _ in range(4)]


def test_train_more_while_paused_or_running_keeps_the_state_and_adds_a_segment_after_the_last_step():
    session, sent = new_session(spec(steps=12, paused=True))
    session.handle(Step(3))
    run_to_the_end(session)
    sent.clear()
    session.handle(TrainMore(5))
    assert sent == [RunExtended(17, 12)] and session.state is State.PAUSED
    assert session.trainer.train.segments == [(0, 12), (12, 17)]
    session.handle(Run())
    session.advance()
    sent.clear()
    session.handle(TrainMore(3))
    assert kinds(sent) == ["StepsTaken", "RunExtended"] and sent[1] == RunExtended(20, 17)
    assert session.state is State.RUNNING


@pytest.mark.parametrize("steps", [0, -3])
def test_train_more_with_no_steps_is_refused_and_changes_nothing(steps):
    session, sent = new_session(spec(steps=4, paused=False))
    run_to_the_end(session)
    sent.clear()
    session.handle(TrainMore(steps))
    assert kinds(sent) == ["Failed"] and "cannot train more" in sent[0].reason and "\n" not in sent[0].reason
    assert session.state is State.DONE and session.trainer.train.steps == 4


@pytest.mark.parametrize("engine", list(ENGINES))
def test_train_more_saved_and_resumed_in_a_new_session_matches_one_that_never_stopped(engine, tmp_path):
    straight, sent = new_session(spec(steps=5, paused=False, engine=engine))
    run_to_the_end(straight)
    straight.handle(TrainMore(4))
    run_to_the_end(straight)
    losses = [r.loss for r in records(sent)]

    first, _ = new_session(spec(steps=5, paused=False, engine=engine))
    run_to_the_end(first)
    first.handle(TrainMore(4))
    first.handle(Step(2))
    run_to_the_end(first)
    path = tmp_path / "run.json"
    first.handle(Save(str(path)))
    resumed, sent = new_session(replace(spec(steps=5, engine=engine), resume=checkpoint.load(path)))
    assert sent[0].losses == tuple(losses[:7]) and sent[0].train.segment_starts == (0, 5)
    resumed.handle(Run())
    run_to_the_end(resumed)
    assert resumed.trainer.losses == losses and len(losses) == 9


# ---- SetPace ---------------------------------------------------------------------------


def test_the_pace_says_when_the_next_step_is_due():
    clock = Clock()
    session, sent = new_session(spec(steps=50, paused=False), clock)
    assert session.seconds_until_next_step() == 0.0  # flat out by default
    session.handle(SetPace(10))
    assert session.seconds_until_next_step() == 0.0  # no step yet: the first is due now
    session.advance()
    assert session.seconds_until_next_step() == pytest.approx(0.1)
    clock.now += 0.04
    assert session.seconds_until_next_step() == pytest.approx(0.06)
    clock.now += 0.06
    session.advance()
    assert session.seconds_until_next_step() == pytest.approx(0.1)
    # on the beat: a step taken a little late does not push the ones after it back
    clock.now += 0.13
    session.advance()
    assert session.seconds_until_next_step() == pytest.approx(0.07)
    # an engine slower than the pace goes as fast as it can, without a burst to catch up
    clock.now += 1.0
    session.advance()
    assert session.seconds_until_next_step() == 0.0
    session.advance()
    assert session.seconds_until_next_step() == pytest.approx(0.1)
    session.handle(SetPace(None))
    assert session.seconds_until_next_step() == 0.0


def test_a_slower_pace_counts_from_the_last_step_and_a_faster_one_can_step_at_once():
    clock = Clock()
    session, _ = new_session(spec(steps=50, paused=False), clock)
    session.handle(SetPace(2))
    session.advance()
    clock.now += 0.3
    session.handle(SetPace(1))
    assert session.seconds_until_next_step() == pytest.approx(0.7)
    session.handle(SetPace(4))
    assert session.seconds_until_next_step() == 0.0


def test_step_with_a_count_is_not_held_back_by_the_pace_and_a_paused_run_stays_paused():
    session, sent = new_session(spec(steps=20, paused=True))
    session.handle(SetPace(0.001))
    assert session.state is State.PAUSED and not session.running
    session.handle(Step(3))
    assert session.seconds_until_next_step() == 0.0
    run_to_the_end(session)
    assert session.trainer.step_count == 3 and session.state is State.PAUSED


def test_running_again_after_a_pause_waits_out_the_beat():
    clock = Clock()
    session, _ = new_session(spec(steps=20, paused=False), clock)
    session.handle(SetPace(1))
    session.advance()
    session.handle(Pause())
    clock.now += 0.25
    session.handle(Run())
    assert session.seconds_until_next_step() == pytest.approx(0.75)  # space twice is not a way past the pace
    clock.now += 5
    session.handle(Pause())
    session.handle(Run())
    assert session.seconds_until_next_step() == 0.0


@pytest.mark.parametrize("pace", [0, -2, math.nan, math.inf, "fast"])
def test_a_pace_that_is_not_a_rate_is_refused(pace):
    session, sent = new_session(spec(paused=False))
    session.handle(SetPace(5))
    sent.clear()
    session.handle(SetPace(pace))
    assert kinds(sent) == ["Failed"] and "pace" in sent[0].reason
    assert session.pace == 5


def receive_for(connection, seconds: float) -> list:
    got: list = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got += connection.receive(0.05)
    return got


def test_a_paced_child_waits_for_its_next_step_and_still_answers_at_once():
    child = ChildProcessTraining(spec(steps=1000, paused=True))
    child.start()
    try:
        receive_until(child, lambda got: StateChanged(State.PAUSED) in got)
        child.send(SetPace(0.01))  # the next step due 100 s after the first
        child.send(Run())
        got = receive_until(child, lambda got: StateChanged(State.RUNNING) in got)
        got += receive_for(child, 0.5)
        child.send(Pause())  # waiting for its step, it must hear this now, not in 100 s
        got += receive_until(child, lambda got: StateChanged(State.PAUSED) in got)
        assert [r.step for r in records(got)] == [1]
        child.send(SetPace(None))
        child.send(TrainMore(5))
        child.send(Run())
        got = receive_until(child, lambda got: StateChanged(State.DONE) in got, timeout=120)
        assert RunExtended(1005, 1000) in got and records(got)[-1].step == 1005
        assert not any(isinstance(r, Failed) for r in got)
    finally:
        child.close()
    assert child.process.exitcode == 0


def test_the_in_process_stand_in_keeps_the_pace_too():
    stand_in = InProcessTraining(spec(steps=8, paused=True), step_every=0.0)
    stand_in.start()
    try:
        receive_until(stand_in, lambda got: StateChanged(State.PAUSED) in got)
        stand_in.send(SetPace(0.01))
        stand_in.send(Run())
        got = receive_for(stand_in, 0.5)
        assert [r.step for r in records(got)] == [1]
        stand_in.send(SetPace(None))
        got = receive_until(stand_in, lambda got: StateChanged(State.DONE) in got)
        assert [r.step for r in records(got)] == list(range(2, 9))
        stand_in.send(TrainMore(3))
        got = receive_until(stand_in, lambda got: StateChanged(State.DONE) in got)
        assert got[:2] == [RunExtended(11, 8), StateChanged(State.RUNNING)]
        assert [r.step for r in records(got)] == [9, 10, 11]
    finally:
        stand_in.close()


# ---- Branch ----------------------------------------------------------------------------


def branch_settings(run, **train_changes) -> RunSettings:
    """What the app's form would send: the run's settings with some training ones changed."""
    settings = run.settings
    return replace(settings, model=replace(settings.model, vocab_size=None), train=replace(settings.train, **train_changes))


@pytest.mark.parametrize("engine", list(ENGINES))
def test_a_branch_with_another_lr_continues_as_a_run_resumed_from_that_step_with_that_lr(engine, tmp_path):
    k, after = 6, 5
    run = spec(steps=15, paused=True, engine=engine)
    session, sent = new_session(run)
    session.handle(Step(k))
    run_to_the_end(session)
    path = tmp_path / "step6.json"
    checkpoint.save(session.trainer.checkpoint("test", ""), path)
    sent.clear()

    session.handle(Branch(branch_settings(run, learning_rate=0.03)))
    assert kinds(sent) == ["Ready", "StateChanged", "SnapshotTaken"]
    assert sent[1].state is State.RUNNING and sent[2].snapshot.step == k
    assert sent[0].train == TrainConfig(steps=15, seed=42, learning_rate=0.03)
    assert len(sent[0].losses) == k  # the branch carries the run's history up to k
    for _ in range(after):
        session.advance()
    session.handle(Pause())  # sends the steps the still clock held back
    branched = records(sent)

    # the same, by hand: step k's checkpoint, loaded, with the learning rate changed
    saved = checkpoint.load(path)
    resumed = Trainer.from_checkpoint(replace(saved, train=replace(saved.train, learning_rate=0.03)), NAMES, engine)
    expected = [resumed.step() for _ in range(after)]
    assert [r.step for r in branched] == list(range(k + 1, k + after + 1))
    assert [(r.loss, r.lr) for r in branched] == [(r.loss, r.lr) for r in expected]  # to the last bit
    assert session.trainer.params == resumed.params and session.trainer.adam == resumed.adam

    # and the new learning rate made a difference: the run without the branch goes otherwise
    unbranched = Trainer.from_checkpoint(saved, NAMES, engine)
    other = [unbranched.step() for _ in range(after)]
    assert other[0].loss == expected[0].loss  # step k+1's loss comes before its update
    assert [r.loss for r in other[1:]] != [r.loss for r in expected[1:]]


def test_a_branch_may_change_the_steps_and_keeps_the_schedule_up_to_them():
    run = spec(steps=12, paused=False)
    session, sent = new_session(run)
    run_to_the_end(session)
    session.handle(TrainMore(8))  # segments 0..12, 12..20
    for _ in range(2):
        session.advance()
    sent.clear()
    session.handle(Branch(branch_settings(run, steps=16), paused=True))
    assert kinds(sent) == ["StepsTaken", "Ready", "StateChanged", "SnapshotTaken"]  # the steps before it go first
    sent.pop(0)
    assert sent[1] == StateChanged(State.PAUSED)
    assert sent[0].train.steps == 16 and sent[0].train.segments == [(0, 12), (12, 16)]
    session.handle(Branch(branch_settings(run, steps=30)))
    assert session.trainer.train.segments == [(0, 12), (12, 30)] and session.state is State.RUNNING


def test_a_branch_ends_the_schedule_at_its_steps_whatever_segments_its_settings_hold():
    session, sent = new_session(spec(steps=12, paused=True))
    session.handle(Step(5))
    run_to_the_end(session)
    session.handle(TrainMore(8))  # at step 5: segments 0..12, 12..20
    here = RunSettings(session.trainer.config, session.trainer.train, "fast")  # the form, prefilled from the run
    session.handle(Branch(replace(here, train=replace(here.train, steps=10))))
    assert session.trainer.train.segments == [(0, 10)] and session.trainer.step_count == 5
    session.handle(Branch(replace(here, train=replace(here.train, steps=5))))
    assert "steps must be more than the 5 steps" in sent[-1].reason


@pytest.mark.parametrize("change, phrase", [
    (dict(seed=7), "seed must stay 42"),
    (dict(steps=4), "steps must be more than the 5 steps the run has taken"),
    (dict(learning_rate=-1.0), "learning-rate must be a finite number greater than 0"),
])
def test_a_branch_that_cannot_be_made_says_why_and_the_run_goes_on(change, phrase):
    run = spec(steps=12, paused=False)
    session, sent = new_session(run)
    for _ in range(5):
        session.advance()
    session.handle(Pause())
    session.handle(Run())
    trainer = session.trainer
    sent.clear()
    session.handle(Branch(branch_settings(run, **change)))
    assert kinds(sent) == ["Failed"] and sent[0].reason.startswith("not branched: ") and phrase in sent[0].reason
    assert session.trainer is trainer and session.state is State.RUNNING


def test_a_branch_keeps_the_model():
    run = spec(steps=12, paused=True)
    session, sent = new_session(run)
    sent.clear()
    wider = replace(run.settings, model=replace(run.settings.model, n_embd=16))
    session.handle(Branch(wider))
    assert kinds(sent) == ["Failed"] and "keeps the run's model" in sent[0].reason


# ---- the command line: --resume run.json --steps N ------------------------------------


@pytest.fixture()
def data(tmp_path):
    return names_file(tmp_path, NAMES)


def logged(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("engine", list(ENGINES))
def test_resume_with_more_steps_extends_the_run_bit_for_bit(engine, data, tmp_path, capsys):
    """A run extended at step 20 to 30 is segment 1 (0..20) then segment 2 (20..30).

    Trained headless in two commands, it equals the same run made in one process with
    Trainer.extend, and one extended, saved mid-way and resumed.
    """
    common = ["--headless", "--data", data, "--engine", engine, "--num-samples", "0", "--n-embd", "8",
              "--n-head", "2", "--block-size", "8"]
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    status, _, _ = run_cli(common + ["--steps", "20", "--checkpoint", first], capsys)
    assert status == 0
    status, out, err = run_cli(["--headless", "--resume", first, "--data", data, "--steps", "30", "--num-samples", "0",
                                "--checkpoint", second, "--log-jsonl", tmp_path / "more.jsonl"], capsys)
    assert status == 0, err
    assert out.splitlines()[0].startswith("step   21 /   30 | loss")
    assert len(out.splitlines()) == 10 and "extended from 20 to 30 steps" in err
    extended = checkpoint.load(second)
    assert extended.step == 30 and extended.train.segments == [(0, 20), (20, 30)]
    log = logged(tmp_path / "more.jsonl")
    assert log[0]["lr"] == 0.01 and [row["step"] for row in log] == list(range(21, 31))

    config = ModelConfig(extended.config.vocab_size, n_embd=8, n_head=2, block_size=8)
    in_process = after_steps(Trainer(NAMES, config, TrainConfig(steps=20), engine), 20)
    in_process.extend(10)
    after_steps(in_process, 10)
    assert extended.losses == in_process.losses and extended.params == in_process.params
    assert [row["loss"] for row in log] == in_process.losses[20:]

    stopped = after_steps(Trainer(NAMES, config, TrainConfig(steps=20), engine), 20)
    stopped.extend(10)
    after_steps(stopped, 4)
    checkpoint.save(stopped.checkpoint("names.txt", ""), tmp_path / "mid.json")
    resumed = Trainer.from_checkpoint(checkpoint.load(tmp_path / "mid.json"), NAMES)
    for _ in range(6):
        resumed.step()
    assert resumed.losses == extended.losses and resumed.params == extended.params


@pytest.mark.parametrize("steps, phrase", [
    ("20", "--steps 20 would train nothing more: first.json has taken all its 20 steps; give more than 20"),
    ("12", "--steps 12 would train nothing more: first.json has taken all its 20 steps; give more than 20"),
])
def test_resume_with_no_more_steps_than_taken_is_refused_in_one_line(steps, phrase, data, tmp_path, capsys):
    first = tmp_path / "first.json"
    run_cli(["--headless", "--data", data, "--steps", "20", "--num-samples", "0", "--checkpoint", first], capsys)
    before = first.read_bytes()
    status, out, err = run_cli(["--headless", "--resume", first, "--data", data, "--steps", steps], capsys)
    assert status == 2 and out == "" and len(err.splitlines()) == 1
    assert phrase in err.replace(str(tmp_path) + "/", "")
    assert first.read_bytes() == before


def test_resume_cannot_shorten_a_run_that_is_not_done(data, tmp_path, capsys):
    first = tmp_path / "first.json"
    trainer = Trainer(NAMES, ModelConfig(Tokenizer.from_documents(NAMES).vocab_size), TrainConfig(steps=20), "fast")
    for _ in range(8):
        trainer.step()
    checkpoint.save(trainer.checkpoint("names.txt", ""), first)
    status, out, err = run_cli(["--headless", "--resume", first, "--data", data, "--steps", "15"], capsys)
    assert status == 2 and len(err.splitlines()) == 1
    assert "--steps 15 would cut short the run's 20 steps" in err and "give more than 20" in err
    status, out, err = run_cli(["--headless", "--resume", first, "--data", data, "--steps", "20", "--num-samples", "0"], capsys)
    assert status == 0 and out.splitlines()[0].startswith("step    9 /   20")  # its own total: finish it


# ---- --speed: the app's pace ---------------------------------------------------------------


def test_speed_is_steps_a_second_or_max_with_a_pace_to_watch_by_default():
    from microgpt_tui.tui.command_line.parser import DEFAULT_SPEED, build_parser

    parse = build_parser().parse_args
    assert parse([]).speed == DEFAULT_SPEED == 50.0  # the default 1000-step run takes about 20 s
    assert parse(["--speed", "2.5"]).speed == 2.5
    assert parse(["--speed", "max"]).speed is None  # what SetPace takes for "as fast as it goes"


@pytest.mark.parametrize("value", ["0", "-3", "inf", "nan", "fast"])
def test_a_speed_that_is_not_a_rate_is_one_line(value, capsys):
    status, out, err = run_cli(["--speed", value], capsys)
    assert status == 2 and out == "" and len(err.splitlines()) == 1
    assert "--speed" in err and "Traceback" not in err


def test_speed_is_refused_with_headless(data, tmp_path, capsys):
    status, out, err = run_cli(["--headless", "--data", data, "--steps", "2", "--speed", "max",
                                "--checkpoint", tmp_path / "run.json"], capsys)
    assert status == 2 and out == "" and len(err.splitlines()) == 1
    assert "--headless always trains as fast as it can, so leave --speed out" in err
    assert not (tmp_path / "run.json").exists()
