# loops for ever (with --budget 0): Ctrl-C must stop it
r0 = 0
loop:
r0 += 1
if r0 != 0 goto loop
exit
