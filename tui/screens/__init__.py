"""The screens the app opens over its panes: help, the save/open path dialog, the quit dialog, the New run form and the runs list."""
