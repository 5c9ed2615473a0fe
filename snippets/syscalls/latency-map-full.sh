# What resetting an entry costs, compared with deleting it. The program
# (Python, read from stdin) starts 5000 threads, one after the other, and
# each calls getppid() once: 5000 thread ids. Both tracers time every call
# with a map keyed by tid; the first resets a used entry to 0, the second
# deletes it. A bpftrace map holds at most 4096 keys by default.
for done in '@start[tid] = 0' 'delete(@start[tid])'; do
	echo "--- at the exit: $done;"
	sudo bpftrace -c '/usr/bin/python3 -' -e '
	tracepoint:syscalls:sys_enter_getppid
	/pid == cpid/
	{
		@start[tid] = nsecs;
		@calls = count();
	}

	tracepoint:syscalls:sys_exit_getppid
	/@start[tid]/
	{
		@timed = count();
		'"$done"';
	}

	END
	{
		clear(@start);
	}' <<'EOF_PYTHON'
import os
import threading

for _ in range(5000):
    thread = threading.Thread(target=os.getppid)
    thread.start()
    thread.join()
EOF_PYTHON
done
