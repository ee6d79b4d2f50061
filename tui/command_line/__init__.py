"""The `microgpt-tui` command: parse the arguments, set the run up, then train headless, sample or open the app.

Read main.py first: it says which module handles what.
"""

PROG = "microgpt-tui"  # the command's name, at the start of every line it prints on stderr
