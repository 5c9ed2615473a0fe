# What an exit probe sees when a signal interrupts a system call. The program
# (Python, read from stdin) sets a timer that sends SIGALRM after 0.1 s, to a
# handler, and sleeps for 0.3 s: the timer interrupts the sleep. Python's
# time.sleep() makes clock_nanosleep(2), and after the handler has run it
# sleeps again for the time that is left (PEP 475).
sudo bpftrace -c '/usr/bin/python3 -' -e '
tracepoint:syscalls:sys_exit_clock_nanosleep
/pid == cpid/
{
	@ret[args->ret] = count();
}' <<'EOF_PYTHON'
import signal
import time

signal.signal(signal.SIGALRM, lambda signum, frame: None)
signal.setitimer(signal.ITIMER_REAL, 0.1)
time.sleep(0.3)
EOF_PYTHON
