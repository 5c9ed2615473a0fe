# Which clocks reach the kernel? A Python program reads each clock id that
# include/uapi/linux/time.h names for clock_gettime() 100 times; the probe
# counts the reads that become a clock_gettime(2) system call, by clock id.
# The first line says which clock source this machine uses.
echo "clocksource: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
sudo bpftrace -c '/usr/bin/python3 -' -e '
tracepoint:syscalls:sys_enter_clock_gettime
/pid == cpid/
{
	@calls[args->which_clock] = count();
}' <<'EOF_PYTHON'
import time

# REALTIME, MONOTONIC, PROCESS_CPUTIME_ID, THREAD_CPUTIME_ID, MONOTONIC_RAW,
# REALTIME_COARSE, MONOTONIC_COARSE, BOOTTIME, TAI
clocks = (0, 1, 2, 3, 4, 5, 6, 7, 11)
for clock in clocks:
    for _ in range(100):
        time.clock_gettime_ns(clock)
print(f"read clocks {clocks}, 100 times each", flush=True)
EOF_PYTHON
