# bpftrace's own syscount.bt: every system call of the machine, counted by
# number and by process name on raw_syscalls:sys_enter, the ten largest of
# each printed at the end. Debian's bpftrace package installs its tools in
# /usr/sbin; bpftrace built from source, in /usr/share/bpftrace/tools. Run by
# itself it ends at Ctrl-C; here -c ends it when "sleep 1" ends, one second on.
tool=/usr/sbin/syscount.bt
[ -e "$tool" ] || tool=/usr/share/bpftrace/tools/syscount.bt
sudo bpftrace -c '/bin/sleep 1' "$tool"
