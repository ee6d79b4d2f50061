"""Small reusable widgets the panes are built from: a heatmap, a temperature slider, next-character bars."""
