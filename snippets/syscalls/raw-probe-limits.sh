# bpftrace's two ceilings, set to 100 so that the sys_enter_* wildcard (360
# probes on Linux 6.18) hits them. A body that uses the probe builtin needs one
# BPF program per matching probe: BPFTRACE_MAX_BPF_PROGS stops it at compile
# time. A body that uses neither probe nor args is a single BPF program in
# bpftrace 0.17 to 0.23, attached to every match, and BPFTRACE_MAX_PROBES stops
# it (from 0.24 on every tracepoint wildcard gets a program per match, and the
# first limit applies). Neither command attaches anything: both fail, and
# || true lets the second one run. grep -v drops bpftrace 0.17's RLIMIT_MEMLOCK
# line, which some machines print (see the lab's first page).
limits='BPFTRACE_MAX_BPF_PROGS=100 BPFTRACE_MAX_PROBES=100'
echo '--- @[probe] = count();'
sudo env $limits bpftrace -e 'tracepoint:syscalls:sys_enter_* { @[probe] = count(); }' 2>&1 | grep -v RLIMIT || true
echo '--- @ = count();'
sudo env $limits bpftrace -e 'tracepoint:syscalls:sys_enter_* { @ = count(); }' 2>&1 | grep -v RLIMIT || true
