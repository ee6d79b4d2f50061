#!/bin/bash
# Memory of the app and its training processes as new runs are started (ctrl+n, Enter), after each
tmux kill-server 2>/dev/null; sleep 0.3
tmux new -d -s t -x 120 -y 40 "microgpt-tui --data ${NAMES_TXT:-../shared/datasets/names.txt} --steps 1000 --speed max"
sleep 10
app=$(pgrep -f "bin/microgpt-tui" | head -1)
rss() { ps -o rss= -p $app | tr -d ' '; }
line="run 1: $(rss)"
for i in $(seq 2 ${RUNS:-11}); do tmux send-keys -t t C-n; sleep 1.2; tmux send-keys -t t Enter; sleep 5; line="$line | run $i: $(rss)"; done
echo "app RSS kB: $line"
echo "processes under the app: $(ps --ppid $app -o comm= | tr '\n' ' ')"
tmux kill-server
