# Maps and aggregations: how many read(2) calls dd makes, how many bytes they
# return in all and on average, and how those sizes are distributed. bpftrace
# prints every map when it exits, here when dd has ended.
sudo bpftrace -c '/usr/bin/dd if=/usr/bin/dd of=/dev/null bs=4096 status=none' -e '
tracepoint:syscalls:sys_exit_read
/pid == cpid/
{
	@reads = count();
	@bytes = sum(args->ret);
	@average = avg(args->ret);
	@sizes = hist(args->ret);
	@linear = lhist(args->ret, 0, 4096, 1024);
}'
