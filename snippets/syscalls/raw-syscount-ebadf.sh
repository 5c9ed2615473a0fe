# BCC's syscount on the whole machine for one second (-d 1), keeping only the
# calls that failed with EBADF (-e, by name or number), counted by process
# (-P) instead of by call (PYTHONUNBUFFERED=1 keeps its lines in order when
# its output goes to a pipe).
sudo env PYTHONUNBUFFERED=1 syscount-bpfcc -e EBADF -P -d 1
