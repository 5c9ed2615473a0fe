# bpftrace's own syscount.bt: every system call of the machine, counted by
# number and by process name on raw_syscalls:sys_enter, the ten largest of
# each printed at Ctrl-C. Debian's bpftrace package installs its tools in
# /usr/sbin; bpftrace built from source, in /usr/share/bpftrace/tools.
tool=/usr/sbin/syscount.bt
[ -e "$tool" ] || tool=/usr/share/bpftrace/tools/syscount.bt
sudo bpftrace "$tool"
