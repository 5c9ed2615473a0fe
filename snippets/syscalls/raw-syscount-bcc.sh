# BCC's syscount on the same mmap loop, named. The loop runs in the background
# for at most ten seconds ($! is its pid); -p traces that one process, -d 1
# stops after one second, and -L adds each call's total time
# (PYTHONUNBUFFERED=1 keeps syscount's lines in order when its output goes to
# a pipe). Then the loop is stopped.
/usr/bin/python3 -c '
import mmap
import time

for _ in range(100):
    for _ in range(100):
        mmap.mmap(-1, 4096).close()
    time.sleep(0.1)
' &
sleep 0.5
sudo env PYTHONUNBUFFERED=1 syscount-bpfcc -p $! -d 1 -L
kill $!
