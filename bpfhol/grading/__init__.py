"""Grading learners' programs: the exercises' criteria, output parsing, and `bpfhol check`."""
