# A call that is never restarted returns EINTR itself. The program (Python,
# read from stdin) sets a timer that sends SIGALRM after 0.1 s, to a handler,
# and waits up to 0.3 s in epoll_wait(2) on an epoll instance with nothing in
# it: the timer interrupts the wait. Python waits again for the time that is
# left (PEP 475), and that second wait times out, returning 0 events.
sudo bpftrace -c '/usr/bin/python3 -' -e '
tracepoint:syscalls:sys_exit_epoll_wait,
tracepoint:syscalls:sys_exit_epoll_pwait
/pid == cpid/
{
	@ret[args->ret] = count();
}' <<'EOF_PYTHON'
import select
import signal

signal.signal(signal.SIGALRM, lambda signum, frame: None)
signal.setitimer(signal.ITIMER_REAL, 0.1)
select.epoll().poll(0.3)
EOF_PYTHON
