# Where a write(2) came from, in the kernel and in the program. A tiny C
# program (main calls report, which calls write) is built with frame
# pointers in a temporary directory, removed at the end; bpftrace prints
# both stacks at the call. The program sleeps three seconds before it exits,
# so that bpftrace can still read its memory map to name the user frames
# (on a slow machine, one second is not always enough).
(
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/report.c" <<'EOF_C'
#include <unistd.h>

static void report(void)
{
	write(1, "report\n", 7);
}

int main(void)
{
	report();
	sleep(3);
	return 0;
}
EOF_C
gcc -O0 -fno-omit-frame-pointer -o "$dir/report" "$dir/report.c"
sudo bpftrace -c "$dir/report" -e '
tracepoint:syscalls:sys_enter_write
/pid == cpid/
{
	printf("kernel stack:%s\nuser stack:%s\n", kstack, ustack);
}'
)
