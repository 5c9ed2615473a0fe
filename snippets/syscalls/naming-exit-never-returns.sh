# Count the exit(2)/exit_group(2) entry and exit probes of one Python process that
# starts two threads: each thread ends with exit(2), the process with exit_group(2).
# -c runs the command once the probes are attached; cpid is its process id.
sudo bpftrace -c '/usr/bin/python3 -' -e '
tracepoint:syscalls:sys_enter_exit,
tracepoint:syscalls:sys_exit_exit,
tracepoint:syscalls:sys_enter_exit_group,
tracepoint:syscalls:sys_exit_exit_group
/pid == cpid/
{
	@[probe] = count();
}' <<'EOF_PYTHON'
import os
import threading
import time

for _ in range(2):
    t = threading.Thread(target=lambda: None)
    t.start()
    t.join()
    # join() returns just before the thread's own exit(2) call: wait until it is gone,
    # or exit_group(2) may end the thread first.
    while len(os.listdir("/proc/self/task")) > 1:
        time.sleep(0.001)
EOF_PYTHON
