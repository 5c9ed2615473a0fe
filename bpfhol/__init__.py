"""bpfhol: a hands-on lab course on tracing Linux system calls with bpftrace and BCC."""

__version__ = "0.1.0"
