# A wrong answer: a program that counts munmap(2) instead of mmap(2).
sudo bpfhol check --seed 0 mmap-1 snippets/syscalls/check-wrong-munmap.bt
