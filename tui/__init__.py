"""The app's side of microgpt-tui, in rooms. Each room imports only from the rooms below it.

    command_line/  what `microgpt-tui` does with its arguments: the parser, run setup,
                   --headless training, `sample`, and opening the app (the top of the house)
    app.py         the Textual app: composes the panes and routes messages to them, with
                   its status line and terminal driver (terminal_input.py) beside it
    screens/       what opens over the panes: help, dialogs, the New run form, the runs list
    panes/         one module per pane (loss, attention, parameters, sample), each with its .tcss
    widgets/       reusable widgets the panes are built from: heatmap, slider, bars
    training/      the training process and the protocol it speaks: a run's settings,
                   commands, reports, the session, the bridge, snapshots (knows nothing of the app)

Below all of them sit ../engine (the model) and ../datasets (the documents).
"""
