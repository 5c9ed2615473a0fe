# BCC's syscount on the same mmap loop, named. The loop runs in the background
# ($! is its pid) until it is stopped at the end, or for two minutes at most:
# syscount compiles its program first, which takes a while on a slow
# machine. -p traces that one process, -d 1
# stops after one second of tracing, and -L adds each call's total time
# (PYTHONUNBUFFERED=1 keeps syscount's lines in order when its output goes to
# a pipe).
/usr/bin/python3 -c '
import mmap
import time

end = time.monotonic() + 120
while time.monotonic() < end:
    for _ in range(100):
        mmap.mmap(-1, 4096).close()
    time.sleep(0.1)
' &
sleep 0.5
sudo env PYTHONUNBUFFERED=1 syscount-bpfcc -p $! -d 1 -L
kill $!
