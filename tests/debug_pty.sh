#!/usr/bin/env bash
# The REPL in a real terminal: tmux runs `bpfstep debug`, keys are typed
# with send-keys and the screen is read with capture-pane. Checks the
# prompt, a breakpoint stop, Enter repeating `next`, tab completion, the
# history file and Ctrl-C stopping a running program. Skips (77) without tmux.
#   debug_pty.sh BPFSTEP SRCDIR OBJDIR
set -u
command -v tmux >/dev/null || { echo "debug-pty: tmux is missing, skipped"; exit 77; }
bpfstep=$(realpath "$1") src=$(realpath "$2") obj=$(realpath "$3")
tmp=$(mktemp -d)
sock=$tmp/tmux.sock
session=pty$$
pass=0 fail=0
cleanup() {
	tmux -S "$sock" kill-server 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

screen() { tmux -S "$sock" capture-pane -p -t "$session" -S -200; }
keys() { tmux -S "$sock" send-keys -t "$session" "$@"; }
# waits until the screen has text (up to 10 s)
wait_for() {
	for _ in $(seq 100); do
		screen | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
check() { # NAME TEXT
	if wait_for "$2"; then
		pass=$((pass + 1))
	else
		echo "FAIL $1: no '$2' on the screen:"
		screen | tail -20
		fail=$((fail + 1))
	fi
}
count() { screen | grep -cF -- "$1"; }

start() { # ARGS...
	tmux -S "$sock" new-session -d -s "$session" -x 150 -y 50 \
		"env HOME=$tmp TERM=xterm $bpfstep debug $*; sleep 30"
}

start "$obj/subprogs.bpf.o" --prog xdp_sum --data-in "$src/examples/subprogs_syn.pkt"
check prompt '(bpfstep)'
keys 'break fold' Enter
check break 'Breakpoint 1 at insn'
keys 'run' Enter
check stop 'Breakpoint 1, fold () at subprogs.bpf.c'
arrows() { screen | grep -c '^=> '; }
wait_arrows() { # N: until the screen shows N stop lines
	for _ in $(seq 100); do
		[ "$(arrows)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
check_arrows() { # NAME N
	if wait_arrows "$2"; then
		pass=$((pass + 1))
	else
		echo "FAIL $1: $(arrows) stop lines, expected $2"
		screen | tail -20
		fail=$((fail + 1))
	fi
}
keys 'next' Enter
check_arrows next 2
# Enter alone repeats the step command
keys Enter
check_arrows repeat 3
# tab completion of a command and of a function name
keys 'reverse-fin' Tab
check complete-cmd '(bpfstep) reverse-finish'
keys C-u 'break csum_w' Tab
check complete-func 'break csum_words'
keys C-u 'info registers' Enter
check regs 'r10'
keys 'quit' Enter
sleep 0.5
if grep -q 'break fold' "$tmp/.bpfstep_history" 2>/dev/null; then
	pass=$((pass + 1))
else
	echo "FAIL history: ~/.bpfstep_history lacks 'break fold'"
	fail=$((fail + 1))
fi
tmux -S "$sock" kill-session -t "$session" 2>/dev/null

# Ctrl-C stops a program that would run for ever
"$bpfstep" asm "$src/tests/debug_transcripts/spin.s" -o "$tmp/spin.bin"
start --raw "$tmp/spin.bin" --type xdp --data-in "$src/examples/http_syn.pkt" --budget 0
check prompt2 '(bpfstep)'
keys 'run' Enter
sleep 1
keys C-c
check ctrl-c 'Program received signal SIGINT, Interrupt.'
keys 'p $r0 > 1000' Enter
check after-ctrl-c '$1 = 1'
keys 'quit' Enter

echo "debug-pty: $pass passed, $fail failed"
[ "$fail" = 0 ]
