# bpftrace's own syscount.bt, as Debian's bpftrace package installs it (in
# /usr/sbin from Debian 12 to unstable): every system call of the machine,
# counted by number and by process name on raw_syscalls:sys_enter, the ten
# largest of each printed at Ctrl-C.
sudo bpftrace /usr/sbin/syscount.bt
