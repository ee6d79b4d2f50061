"""The training run and the conversation the app has with it.

    settings.py  what a run is: RunSettings (the one object for model, training and engine
                 settings) and RunSpec (those settings with their documents, ready to train)
    protocol.py  the commands the app sends and the reports the run sends back
    session.py   TrainingSession: a trainer that answers commands; the child process's loop
    bridge.py    the app's end of the pipe: a child process, or in-process for tests
    snapshot.py  the copy of the weights the panes draw from
    history.py   the runs of one app session, kept to compare them
    outputs.py   claiming a run's files before step 1, and locking its checkpoint path
    collector.py how often the garbage collector runs in the app and the training process

Nothing here imports Textual or the command line: the child process loads only this room
and the engine.
"""
