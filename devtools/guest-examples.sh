#!/bin/bash
# Runs inside a kernel-matrix guest (devtools/kernels.py boots it): the machine set-up, then the
# docs examples against the labs' workloads, as `./dev test` runs them, with a report.
#   guest-examples.sh TIMEOUT_SCALE [test|capture] [FILTER] [BUDGET] [JOBS]
# FILTER selects examples as pytest -k does; capture rewrites the shown outputs of those that pass.
# After BUDGET seconds pytest gets Ctrl-C: it stops the labs and still writes its report.
# JOBS examples run at once (BPFHOL_DOCS_JOBS; without it, ./dev test's default).
# Writes .matrix-kernel/report.jsonl (every test: the docs suite's report file, devtools/report.py reads
# it) and times.json (the guest's uptime at each step, and the CPU time all its vCPUs had spent busy
# by then: what KVM would speed up).
set -u
cd "$(dirname "$0")/.."
out=.matrix-kernel
mkdir -p "$out"
up() { cut -d' ' -f1 /proc/uptime; }
# user + nice + system + irq + softirq + steal, in USER_HZ (100 a second) -> seconds
busy() { awk '/^cpu /{printf "%.2f", ($2+$3+$4+$7+$8+$9)/100}' /proc/stat; }
booted=$(up)
booted_cpu=$(busy)
export CI=true BPFHOL_BROWSER=no BPFHOL_TIMEOUT_SCALE="${1:-1}" PYTHONUNBUFFERED=1
mode=${2:-test}
filter=${3:-}
budget=${4:-0}
[ -n "${5:-}" ] && export BPFHOL_DOCS_JOBS="$5"
./dev setup
rc=$?
set_up=$(up)
set_up_cpu=$(busy)
if [ "$rc" -eq 0 ]; then
  args=(docs -v -rfs)
  [ -n "$filter" ] && args+=(-k "$filter")
  [ "$mode" = capture ] && args+=(--update-shown)
  stop=()
  [ "$budget" -gt 0 ] && stop=(timeout -s INT -k 120 "$budget")
  "${stop[@]}" .venv/bin/python -m pytest --bpfhol-report "$PWD/$out/report.jsonl" \
    -p no:cacheprovider "${args[@]}"
  rc=$?
fi
printf '{"kernel": "%s", "cpus": %s, "booted": %s, "set_up": %s, "done": %s, "exit": %d, "cpu": {"booted": %s, "set_up": %s, "done": %s}}\n' \
  "$(uname -r)" "$(nproc)" "$booted" "$set_up" "$(up)" "$rc" "$booted_cpu" "$set_up_cpu" "$(busy)" >"$out/times.json"
exit "$rc"
