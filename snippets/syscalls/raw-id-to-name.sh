# Syscall numbers to names with BCC's table, run by sudo's python3 (the one with
# BCC, whatever python3 comes first on your PATH; x86_64; BCC uses `ausyscall --dump`
# instead when auditd's ausyscall is installed).
sudo python3 -c '
from bcc.syscall import syscall_name
for nr in (9, 11, 230):
    print(nr, syscall_name(nr).decode())
'
