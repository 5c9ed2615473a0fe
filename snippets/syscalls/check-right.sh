# Judge a program against the running workload: here the solution above, as
# the course's checkout holds it (run from the checkout's top directory).
# --seed 0: with no lab running, check starts the one these pages show.
sudo bpfhol check --seed 0 mmap-1 snippets/syscalls/mmap-top-caller.bt
