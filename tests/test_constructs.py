"""The construct lexer: what a bpftrace, shell or BCC program uses, read as the tools read it."""

from __future__ import annotations

import pytest

from bpfhol.examples.bccapi import bcc_uses
from bpfhol.examples.constructs import LexError, bpftrace_uses, is_construct
from bpfhol.examples.shellscript import shell_programs


def used(program: str) -> set[str]:
    return {u.construct for u in bpftrace_uses(program)}


def test_probe_types_builtins_and_functions() -> None:
    found = used(
        """#!/usr/bin/env bpftrace
BEGIN { printf("start\\n"); }
t:syscalls:sys_enter_read, tracepoint:sched:sched_switch { @[comm] = count(); }
interval:s:1 { exit(); }
END { clear(@); }
"""
    )
    assert {"BEGIN", "END", "interval", "tracepoint:syscalls", "tracepoint:sched", "probe list"} <= found
    assert {"printf()", "count()", "exit()", "clear()", "comm", "@", "keyed map"} <= found


def test_words_in_strings_and_comments_are_not_uses() -> None:
    found = used(
        """// if (pid) { delete(@x); } in a comment
/* tid, $var, @m[1, 2], curtask->real_parent */
BEGIN { printf("if else pid tid $1 @x ?: ++ /* not a comment */ %s\\n", "delete(@y)"); }
"""
    )
    assert found == {"BEGIN", "printf()"}


def test_positional_parameters_are_not_variables() -> None:
    assert used("t:syscalls:sys_enter_read /pid == $1/ { @n = count(); }") >= {"$1", "predicate"}
    assert "$variable" not in used("t:syscalls:sys_enter_read /pid == $1/ { @n = count(); }")
    assert "$1" not in used('BEGIN { $x = 1; printf("%d\\n", $x); }')
    assert "$variable" in used('BEGIN { $x = 1; printf("%d\\n", $x); }')
    assert "$#" in used('BEGIN { printf("%d\\n", $#); }')


def test_maps_keys_and_assignment() -> None:
    assert used("BEGIN { @n = count(); }") == {"BEGIN", "map", "count()"}
    assert "keyed map" in used("BEGIN { @n[tid] = count(); }")
    assert "multi-key map" in used("BEGIN { @n[pid, comm] = count(); }")
    # A comma inside a call in the key is not a second key part.
    assert "multi-key map" not in used('BEGIN { @n[strncmp(comm, "a", 1)] = count(); }')
    assert "map assignment" in used("BEGIN { @start[tid] = nsecs; }")
    assert "map assignment" in used("BEGIN { @x = 0; }")  # a reset
    assert "map assignment" not in used("BEGIN { @h = hist(1); }")
    assert "++" in used("BEGIN { @naps++; }")


def test_struct_access_casts_and_operators() -> None:
    found = used(
        "t:syscalls:sys_enter_execve /curtask->real_parent->tgid == (int32)cpid/ "
        "{ @[curtask->thread_info.status & 0x2 ? 32 : 64] = count(); }"
    )
    assert {"curtask", "->", ".field", "cast", "?:", "cpid"} <= found
    # args->field is the probe's arguments, taught with `args`; the field's name is no builtin.
    found = used("t:syscalls:sys_exit_read { @[args->ret] = count(); }")
    assert "->" not in found and "args" in found
    assert "pid" not in used('BEGIN { printf("%d\\n", curtask->pid); }') - {"curtask"}
    assert "*deref" in used('BEGIN { printf("%s\\n", ksym(*(kaddr("x") + 8))); }')
    assert "*deref" not in used("BEGIN { @x = 2 * 3; @y = @x * 2; }")
    assert "+=" in used("BEGIN { $x = 1; $x += 2; }")
    found = used("t:syscalls:sys_exit_close { if (args->ret == -EBADF) { @b = 1; } else { @o = 1; } }")
    assert {"if", "else", "named constant"} <= found


def test_predicate_with_division_and_preprocessor() -> None:
    found = used(
        """#include <linux/errno.h>
#define MAP_TYPE 0x0f
t:syscalls:sys_enter_mmap /(args->len / 4096) > 1 && (args->flags & MAP_TYPE) == 1/ { @big = count(); }
"""
    )
    assert {"#include", "#define", "predicate", "named constant", "map", "count()"} <= found


def test_wildcards_and_struct_definitions() -> None:
    assert "wildcard probe" in used("t:syscalls:sys_enter_m* { @[probe] = count(); }")
    assert "struct definition" in used("struct x { int a; };\nBEGIN { exit(); }")


@pytest.mark.parametrize(
    ("program", "message"),
    [
        ('BEGIN { printf("open); }', "cannot read string"),
        ("BEGIN { exit();", "unterminated block"),
        ("BEGIN /* never closed", "unterminated comment"),
        ("t:syscalls:sys_enter_read /pid == 1 { }", "unterminated predicate"),
    ],
)
def test_unreadable_programs_are_one_clear_error(program: str, message: str) -> None:
    with pytest.raises(LexError, match=message):
        bpftrace_uses(program)


def test_programs_inside_shell_commands() -> None:
    script = """# bpftrace -e 'BEGIN { delete(@comment); }' is a comment
sudo bpftrace -c '/usr/bin/python3 -' -e '
tracepoint:syscalls:sys_enter_getppid
/pid == cpid/
{
	@start[tid] = nsecs;
}' <<'EOF_PYTHON'
print("bpftrace -e 'BEGIN { exit(); }' inside a here-document")
EOF_PYTHON
sudo bpftrace -lv 'tracepoint:syscalls:sys_enter_openat'
"""
    programs = shell_programs(script)
    assert len(programs) == 1
    assert programs[0].line == 2
    assert used(programs[0].text) >= {"cpid", "map assignment", "tracepoint:syscalls"}


def test_a_program_spliced_from_a_loop_is_one_program_per_value() -> None:
    script = """for done in '@start[tid] = 0' 'delete(@start[tid])'; do
	sudo bpftrace -e 'tracepoint:syscalls:sys_exit_read /@start[tid]/ { '"$done"'; }'
done
"""
    programs = shell_programs(script)
    assert [("delete()" in used(p.text), "map assignment" in used(p.text)) for p in programs] == [
        (False, True),
        (True, False),
    ]


def test_bcc_program() -> None:
    source = '''#!/usr/bin/env python3
# BPF_PERF_OUTPUT in a comment is not a use
from bcc import BPF

prog = r"""
#include <uapi/linux/ptrace.h>
BPF_HASH(start, u32, u64);  // BPF_HISTOGRAM in a C comment is not a use
TRACEPOINT_PROBE(syscalls, sys_enter_read) {
    u32 tid = bpf_get_current_pid_tgid();
    u64 ts = bpf_ktime_get_ns();
    start.update(&tid, &ts);
    return 0;
}
"""
b = BPF(text=prog)
b["start"].print_log2_hist("usecs")
'''
    found = {u.construct for u in bcc_uses(source)}
    assert found == {
        "bcc:#include",
        "bcc:BPF_HASH",
        "bcc:TRACEPOINT_PROBE",
        "bcc:bpf_get_current_pid_tgid",
        "bcc:bpf_ktime_get_ns",
        "bcc:.update()",
        "bcc:BPF()",
        "bcc:print_log2_hist()",
    }


def test_construct_names() -> None:
    for name in ("delete()", "$variable", "tracepoint:sched", "keyed map", "pid", "BEGIN", "bcc:BPF_HASH"):
        assert is_construct(name), name
    for name in ("delte", "keyed-map", "sched", "@x", "tracepoint:"):
        assert not is_construct(name), name


def test_bcc_inside_python_c_and_a_config_block() -> None:
    script = "sudo python3 -c '\nfrom bcc.syscall import syscall_name\nprint(syscall_name(9))\n'\n"
    (program,) = shell_programs(script)
    assert program.language == "python"
    assert {u.construct for u in bcc_uses(program.text)} == {"bcc:syscall_name()"}
    assert used("config = { max_map_keys = 100 }\nBEGIN { exit(); }") == {"BEGIN", "exit()"}


def test_bcc_f_strings_are_python_not_c() -> None:
    """An f-string formats the program's output: a dict's pop() in it is not BCC's map method."""
    source = 'b = BPF(text="BPF_HASH(h); int f(void *c) { h.increment(1); return 0; }")\n'
    source += "seen = {}\nprint(f\"{' '.join(seen.pop(1, []))}\")\n"
    names = {u.construct for u in bcc_uses(source)}
    assert "bcc:.increment()" in names and "bcc:.pop()" not in names
