"""The training conversation: the session's replies to each command, in-process and in a child."""

import pytest

from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.tokenizer import Tokenizer
from microgpt_tui.engine.trainer import Trainer
from microgpt_tui.tui.training import session as training
from microgpt_tui.tui.training.bridge import ChildProcessTraining, InProcessTraining
from microgpt_tui.tui.training.protocol import (
    Failed,
    Pause,
    Ready,
    Run,
    SnapshotTaken,
    State,
    StateChanged,
    Step,
    StepsTaken,
    Stop,
    ValidationScored,
)
from microgpt_tui.tui.training.session import TrainingSession
from microgpt_tui.tui.training.settings import RunSpec
from conftest import kinds, receive_until, run_spec

NAMES = tuple("""emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily elizabeth
mila ella avery sofia camila aria scarlett victoria madison luna grace chloe penelope layla riley zoey
nora lily eleanor hannah lillian addison aubrey ellie stella natalie zoe leah hazel violet aurora
savannah audrey brooklyn bella claire skylar""".split())


def tiny_spec(steps: int = 12, paused: bool = True) -> RunSpec:
    config = ModelConfig(Tokenizer.from_documents(NAMES).vocab_size, n_embd=8, n_head=2, block_size=8)
    return run_spec(NAMES, config, TrainConfig(steps=steps, seed=42), "scalar", start_paused=paused)


def new_session(spec: RunSpec) -> tuple[TrainingSession, list]:
    """A session whose clock stands still, so nothing is sent on a timer: only on events."""
    sent: list = []
    return TrainingSession(spec, sent.append, clock=lambda: 0.0), sent


def test_a_paused_session_introduces_itself_and_waits():
    session, sent = new_session(tiny_spec())
    assert kinds(sent) == ["Ready", "StateChanged", "SnapshotTaken"]
    held_out = [session.spec.docs[i] for i in sent[0].held_out_positions]
    assert sorted(held_out) == sorted(session.trainer.val_docs)
    assert sent[1].state is State.PAUSED
    assert sent[2].snapshot.step == 0
    sent.clear()
    session.advance()  # paused: nothing happens
    assert sent == []


def test_step_reports_one_step_then_a_snapshot():
    session, sent = new_session(tiny_spec())
    sent.clear()
    assert session.handle(Step())
    assert kinds(sent) == ["StepsTaken", "SnapshotTaken"]
    assert [r.step for r in sent[0].records] == [1]
    assert sent[1].snapshot.step == 1


def test_step_while_running_pauses_first():
    session, sent = new_session(tiny_spec(paused=False))
    session.advance()
    sent.clear()
    session.handle(Step())
    assert kinds(sent) == ["StepsTaken", "StateChanged", "StepsTaken", "SnapshotTaken"]
    assert sent[1].state is State.PAUSED
    assert [r.step for r in sent[0].records] == [1]
    assert [r.step for r in sent[2].records] == [2]


def test_pause_sends_what_is_pending_and_a_snapshot():
    session, sent = new_session(tiny_spec(paused=False))
    session.advance()
    session.advance()
    sent.clear()
    session.handle(Pause())
    assert kinds(sent) == ["StepsTaken", "StateChanged", "SnapshotTaken"]
    assert [r.step for r in sent[0].records] == [1, 2]
    assert sent[-1].snapshot.step == 2


def test_the_steps_match_a_plain_trainer():
    spec = tiny_spec(steps=5, paused=False)
    session, sent = new_session(spec)
    while session.running:
        session.advance()
    losses = [r.loss for report in sent if isinstance(report, StepsTaken) for r in report.records]
    plain = Trainer(spec.docs, spec.config, spec.train, spec.engine)
    assert losses == [plain.step().loss for _ in range(5)]


def test_reaching_done_reports_steps_state_snapshot_then_validation_on_every_held_out_name():
    session, sent = new_session(tiny_spec(steps=3, paused=False))
    while session.running:
        session.advance()
    assert kinds(sent)[-4:] == ["StepsTaken", "StateChanged", "SnapshotTaken", "ValidationScored"]
    assert sent[-3].state is State.DONE and sent[-2].snapshot.done
    last = sent[-1]
    assert last.step == 3 and last.names == 5
    assert last.loss == pytest.approx(session.trainer.validation_loss())
    sent.clear()
    for command in (Run(), Pause(), Step()):  # a finished run ignores them
        session.handle(command)
    assert sent == []


def test_validation_every_n_steps_on_a_subset(monkeypatch):
    monkeypatch.setattr(training, "VALIDATION_EVERY", 2)
    monkeypatch.setattr(training, "VALIDATION_NAMES", 3)
    monkeypatch.setattr(training, "VALIDATION_SHARE", float("inf"))
    session, sent = new_session(tiny_spec(steps=5))
    for _ in range(4):
        session.handle(Step())
    scores = [r for r in sent if isinstance(r, ValidationScored)]
    assert [(s.step, s.names) for s in scores] == [(2, 3), (4, 3)]
    assert scores[0].loss == pytest.approx(Trainer(NAMES, session.trainer.config, session.trainer.train, "scalar").validation_loss(3), rel=0.2)


def test_validation_keeps_within_its_share_of_the_time(monkeypatch):
    monkeypatch.setattr(training, "VALIDATION_EVERY", 1)
    monkeypatch.setattr(training, "VALIDATION_SHARE", 0.0)  # only when nothing was spent yet
    session, sent = new_session(tiny_spec(steps=5))
    for _ in range(4):
        session.handle(Step())
    assert [r.step for r in sent if isinstance(r, ValidationScored)] == [1]


def test_a_slow_pace_leaves_room_to_validate_at_every_chance(monkeypatch):
    """Time between paced steps counts towards validation's share, not only time spent training."""
    monkeypatch.setattr(training, "VALIDATION_EVERY", 2)
    now = [0.0]
    sent: list = []
    session = TrainingSession(tiny_spec(steps=12), sent.append, clock=lambda: now[0])
    for _ in range(10):
        now[0] += training.LONGEST_GAP  # a step a second: the process waits between steps
        session.handle(Step())
    assert [r.step for r in sent if isinstance(r, ValidationScored)] == [2, 4, 6, 8, 10]


def test_stop_ends_the_session():
    session, _ = new_session(tiny_spec())
    assert session.handle(Stop()) is False


def test_an_exception_in_a_step_pauses_and_says_why(monkeypatch):
    session, sent = new_session(tiny_spec(paused=False))
    sent.clear()

    def broken():
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(session.trainer, "step", broken)
    session.advance()
    assert kinds(sent) == ["StateChanged", "Failed"]
    assert sent[0].state is State.PAUSED
    assert sent[1].reason.startswith("ZeroDivisionError: float division by zero (in ")
    assert "\n" not in sent[1].reason


def has_snapshot_at(step):
    return lambda got: any(isinstance(r, SnapshotTaken) and r.snapshot.step == step for r in got)


def test_in_process_stand_in_speaks_the_same_protocol():
    stand_in = InProcessTraining(tiny_spec(steps=4), step_every=0.0)
    stand_in.start()
    assert kinds(receive_until(stand_in, has_snapshot_at(0))) == ["Ready", "StateChanged", "SnapshotTaken"]
    stand_in.send(Step())
    assert kinds(receive_until(stand_in, has_snapshot_at(1))) == ["StepsTaken", "SnapshotTaken"]
    stand_in.send(Run())
    got = receive_until(stand_in, lambda got: any(isinstance(r, ValidationScored) for r in got))
    assert StateChanged(State.DONE) in got
    stand_in.close()
    with pytest.raises(EOFError):
        stand_in.receive(0.05)


def test_child_process_trains_and_stops_when_told():
    spec = tiny_spec(steps=6)
    child = ChildProcessTraining(spec)
    child.start()
    try:
        got = receive_until(child, has_snapshot_at(0))
        assert isinstance(got[0], Ready)
        child.send(Step())
        got = receive_until(child, has_snapshot_at(1))
        first = [r for report in got if isinstance(report, StepsTaken) for r in report.records]
        assert [r.step for r in first] == [1]
        assert first[0].loss == Trainer(spec.docs, spec.config, spec.train, "scalar").step().loss
        child.send(Run())
        got = receive_until(child, lambda got: any(isinstance(r, ValidationScored) for r in got))
        assert StateChanged(State.DONE) in got
        assert not any(isinstance(r, Failed) for r in got)
    finally:
        child.close()
    assert child.process.exitcode == 0  # it stopped when asked, rather than being terminated


def test_child_process_exits_when_the_app_end_goes_away():
    child = ChildProcessTraining(tiny_spec(steps=10_000, paused=False))
    child.start()
    receive_until(child, has_snapshot_at(0))
    child._conn.close()  # as if the app had crashed: the child sees the pipe close
    child.process.join(2.0)
    assert child.process.exitcode == 0


def test_step_with_a_count_takes_that_many_then_reports_once_and_a_pause_stops_it():
    session, sent = new_session(tiny_spec(steps=12))
    sent.clear()
    session.handle(Step(4))
    assert session.trainer.step_count == 1 and session.running  # the first at once, the rest by advance()
    while session.running:
        session.advance()
    assert session.trainer.step_count == 4 and session.state is State.PAUSED
    assert kinds(sent) == ["StepsTaken", "SnapshotTaken"]
    assert [r.step for r in sent[0].records] == [1, 2, 3, 4]
    sent.clear()
    session.handle(Step(5))
    session.advance()
    session.handle(Pause())
    assert not session.running and session.trainer.step_count == 6
    assert kinds(sent)[-1] == "SnapshotTaken" and sent[-1].snapshot.step == 6


def test_while_running_a_snapshot_goes_at_least_every_quarter_second():
    """The panes show weights at most 250 ms old. The session's clock is a fake one here,
    10 ms later at each step."""
    now = [0.0]
    sent: list = []
    session = TrainingSession(tiny_spec(steps=400, paused=False), sent.append, clock=lambda: now[0])
    sent.clear()
    for _ in range(100):
        now[0] += 0.01
        session.advance()
    sent_at = [report.snapshot.step for report in sent if isinstance(report, SnapshotTaken)]
    assert len(sent_at) >= 4
    longest_wait = max(b - a for a, b in zip(sent_at, sent_at[1:])) * 0.01
    # at most one step late; what is left of the 250 ms is the trip to the app and the redraw
    assert longest_wait <= training.SNAPSHOT_EVERY + 0.01 + 1e-9 <= 0.25 - 0.03
