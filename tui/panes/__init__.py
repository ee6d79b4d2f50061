"""The four panes of the app, one module each with its own .tcss: loss, attention, parameters, sample."""
