# syscount (syscount-bpfcc on Debian and Ubuntu) from BCC's tools: brokerd's
# syscalls for one second, with the time spent in each (-L).
sudo syscount-bpfcc -L -p "$(pgrep -nx brokerd)" -d 1
