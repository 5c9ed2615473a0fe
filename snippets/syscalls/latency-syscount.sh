# syscount (syscount-bpfcc on Debian and Ubuntu) from BCC's tools: pipewait's
# syscalls for one second, with the time spent in each (-L).
sudo syscount-bpfcc -L -p "$(pgrep -nx pipewait)" -d 1
