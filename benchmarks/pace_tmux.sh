#!/bin/bash
# --speed 10: steps in 5 s; then + eight times: steps in 5 s
tmux kill-server 2>/dev/null; sleep 0.3
tmux new -d -s t -x 120 -y 40 "microgpt-tui --data ${NAMES_TXT:-../shared/datasets/names.txt} --steps 100000 --speed 10"
step() { tmux capture-pane -p -t t | head -1 | grep -o "step *[0-9]*/" | grep -o "[0-9]*"; }
for i in $(seq 1 60); do [ -n "$(step)" ] && [ "$(step)" -gt 0 ] && break; sleep 0.2; done
a=$(step); sleep 5; b=$(step); echo "speed 10: $((b-a)) steps in 5 s"
for i in 1 2 3 4 5 6 7 8; do tmux send-keys -t t +; sleep 0.1; done
sleep 0.5; a=$(step); sleep 5; b=$(step); echo "after + x8: $((b-a)) steps in 5 s"; tmux capture-pane -p -t t | head -1
tmux kill-server
