#!/usr/bin/env bash
# A fuzzing campaign: builds the libFuzzer targets (cmake --preset fuzz: clang-16, ASan+UBSan,
# the libraries instrumented for coverage), runs each one for a number of executions, and
# writes a table of the results.
#
# Usage: scripts/fuzz.sh [options] [target...]
#   target...         tests/fuzz/<target>_fuzz.cpp names (default: every target)
#   --runs N          executions per target (default 10000000; libFuzzer -runs)
#   --max-time S      also stop each target after S seconds (libFuzzer -max_total_time)
#   --jobs J          targets fuzzed at once, 1 or 2 (default 1)
#   --merge           afterwards, merge the inputs that add coverage into tests/fuzz/corpus/<target>
#                     (libFuzzer -merge=1), keeping at most --max-corpus files per corpus
#   --max-corpus N    cap for --merge (default 100 files; the seeds always stay)
#   --out FILE        results table (default build/fuzz/campaign-results.md)
#   --work DIR        scratch directory (default build/fuzz/campaign)
#   --no-build        use the fuzzers already in build/fuzz/bin
#   --list            print the targets and their -max_len, then exit
#
# Each fuzzer gets a scratch directory before the repository corpus, so new inputs land in
# build/fuzz/campaign/<target>/new and never in the repository (unless --merge). Crashes,
# leaks, timeouts and out-of-memory inputs are written to build/fuzz/campaign/<target>/artifacts/;
# the script then exits 1 and names them. Replay one with
#   build/fuzz/bin/<target>_fuzzer <file>     or     TALLY_FUZZ_ITERATIONS=0 build/release/bin/<target>_replay <file>
# The machine is shared: run it as `nice -n 10 bash scripts/fuzz.sh`; the build uses -j2.
# The fuzzers run with ASAN_OPTIONS=malloc_context_size=0 unless ASAN_OPTIONS is set (see
# run_target); replaying a crash file prints the full allocation stacks.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

runs=10000000
max_time=""
jobs=1
merge=0
max_corpus=100
out=build/fuzz/campaign-results.md
work=build/fuzz/campaign
build=1
list=0
targets=()

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --max-time) max_time=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --merge) merge=1; shift ;;
    --max-corpus) max_corpus=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    --list) list=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [[ "$jobs" != 1 && "$jobs" != 2 ]]; then
  echo "fuzz.sh: --jobs must be 1 or 2 (the machine is shared)" >&2
  exit 2
fi

# Every target, fast decoders first.
all_targets=()
for f in tests/fuzz/*_fuzz.cpp; do
  n=$(basename "$f" _fuzz.cpp)
  all_targets+=("$n")
done
order="compact_size hex_decode address_decode header_decode transaction_decode block_decode
frame_decoder event_line control_event_line chain_spec_parse json_rpc_request scenario_parse
addr_book_deserialize noise_session noise_handshake peer_net_core"
order=" $(echo $order) "
sorted=()
for n in $order; do
  for t in "${all_targets[@]}"; do
    if [[ "$t" == "$n" ]]; then sorted+=("$n"); fi
  done
done
for t in "${all_targets[@]}"; do
  if [[ "$order" != *" $t "* ]]; then sorted+=("$t"); fi
done
all_targets=("${sorted[@]}")
[[ ${#targets[@]} -eq 0 ]] && targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  if [[ ! -f tests/fuzz/${t}_fuzz.cpp ]]; then
    echo "fuzz.sh: no target $t (tests/fuzz/${t}_fuzz.cpp)" >&2
    exit 2
  fi
done

# The largest input worth trying per target: a little above its largest meaningful input.
max_len_of() {
  case "$1" in
    compact_size) echo 32 ;;
    rpcauth_parse|node_peer_argument) echo 512 ;;
    address_decode) echo 256 ;;
    hex_decode) echo 1024 ;;
    header_decode) echo 512 ;;
    transaction_decode) echo 1024 ;;
    control_event_line) echo 2048 ;;
    event_line) echo 4096 ;;
    addr_book_deserialize) echo 8192 ;;
    *) echo 4096 ;;
  esac
}

if [[ $list == 1 ]]; then
  for t in "${targets[@]}"; do printf '%-24s -max_len=%s\n' "$t" "$(max_len_of "$t")"; done
  exit 0
fi

if [[ $build == 1 ]]; then
  cmake --preset fuzz >/dev/null
  fuzzers=()
  for t in "${targets[@]}"; do fuzzers+=("${t}_fuzzer"); done
  cmake --build --preset fuzz -j2 --target "${fuzzers[@]}"
fi
bin=build/fuzz/bin

mkdir -p "$work" "$(dirname "$out")"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain -- . ':!build' 2>/dev/null | head -1 || true)  # head may cut git off (pipefail)
[[ -n "$dirty" ]] && commit="$commit (with uncommitted changes)"
started=$(date -u '+%Y-%m-%d %H:%M UTC')

# Runs one target; writes $work/<t>/result: "execs seconds new_units crashes artifact".
run_target() {
  local t=$1 dir=$work/$1
  rm -rf "$dir"
  mkdir -p "$dir/new" "$dir/artifacts"
  local args=(-runs="$runs" -max_len="$(max_len_of "$t")" -timeout=60 -rss_limit_mb=2560
              -print_final_stats=1 -artifact_prefix="$dir/artifacts/")
  [[ -n "$max_time" ]] && args+=(-max_total_time="$max_time")
  # peer_net_core keeps one NetCore, chain and RocksDB across inputs (building them per input
  # would cost far more than the input), so every input leaves allocations behind and
  # libFuzzer's per-input leak check would scan the whole heap each time (30x slower). Its
  # leaks are LeakSanitizer's job in the ASan test suite, which runs the same cores.
  [[ $t == peer_net_core ]] && args+=(-detect_leaks=0)
  # ASan records the stack of every allocation in a global table that only grows; in a long
  # campaign, looking stacks up in it came to two thirds of json_rpc_request's time (the
  # rate fell from 10k to 1k executions a second). Without those stacks a finding still
  # stops the run and keeps its input; replaying the input (below) prints them.
  local asan=${ASAN_OPTIONS:-malloc_context_size=0}
  local start end rc=0
  start=$(date +%s.%N)
  ASAN_OPTIONS=$asan "$bin/${t}_fuzzer" "${args[@]}" "$dir/new" "tests/fuzz/corpus/$t" >"$dir/log" 2>&1 || rc=$?
  end=$(date +%s.%N)
  # Executions: libFuzzer's final stats, else its "Done N runs", else its last status line.
  local execs
  execs=$(awk '/^stat::number_of_executed_units:/ {n = $2} /^Done [0-9]+ runs/ && n == "" {d = $2}
               /^#[0-9]+/ {s = substr($1, 2)} END {print (n != "" ? n : (d != "" ? d : (s != "" ? s : 0)))}' "$dir/log")
  local new crashes artifact secs
  secs=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}')
  new=$(find "$dir/new" -type f | wc -l)
  crashes=$(find "$dir/artifacts" -type f | wc -l)
  artifact=$(find "$dir/artifacts" -type f -print -quit)
  if [[ $rc != 0 && $crashes == 0 ]]; then
    crashes=1  # died without an artifact (e.g. the binary is missing): see the log
    artifact="$dir/log"
  fi
  echo "$execs $secs $new $crashes ${artifact:-}" >"$dir/result"
  printf '%-24s %12s execs %8s s  new %5s  crashes %s %s\n' "$t" "$execs" "$secs" "$new" "$crashes" "${artifact:-}"
}

echo "fuzz.sh: ${#targets[@]} target(s), -runs=$runs${max_time:+, at most $max_time s each}, $jobs at once"
running=0
for t in "${targets[@]}"; do
  if [[ $running -ge $jobs ]]; then
    wait -n || true
    running=$((running - 1))
  fi
  run_target "$t" &
  running=$((running + 1))
done
wait || true

# Merge coverage-increasing inputs back into the repository corpus, under the cap.
merge_target() {
  local t=$1 corpus=tests/fuzz/corpus/$1 dir=$work/$1
  [[ -d "$dir/new" ]] || return 0
  local before_list=$dir/corpus-before
  find "$corpus" -maxdepth 1 -type f | sort >"$before_list"
  "$bin/${t}_fuzzer" -merge=1 -max_len="$(max_len_of "$t")" "$corpus" "$dir/new" >"$dir/merge.log" 2>&1
  # The files the merge added, largest first; over the cap, the largest go (never a seed).
  local added count excess
  added=$(find "$corpus" -maxdepth 1 -type f | sort | comm -13 "$before_list" - |
          while read -r f; do echo "$(stat -c %s "$f") $f"; done | sort -rn | awk '{print $2}')
  count=$(find "$corpus" -maxdepth 1 -type f | wc -l)
  excess=$((count - max_corpus))
  if [[ $excess -gt 0 && -n "$added" ]]; then
    awk -v n="$excess" 'NR <= n' <<<"$added" | while read -r f; do rm -f "$f"; done
  fi
  count=$(find "$corpus" -maxdepth 1 -type f | wc -l)
  echo "merged $t: $((count - $(wc -l <"$before_list"))) new file(s) in $corpus ($count in all)"
}
if [[ $merge == 1 ]]; then
  for t in "${targets[@]}"; do merge_target "$t"; done
fi

# The table.
failed=0
{
  echo "# Fuzzing campaign"
  echo
  echo "Started $started on $(hostname) ($(nproc) cores), commit $commit."
  echo "Command: scripts/fuzz.sh --runs $runs${max_time:+ --max-time $max_time} --jobs $jobs$([[ $merge == 1 ]] && echo " --merge") ${targets[*]}"
  echo "Fuzzers: build/fuzz (clang-16, ASan+UBSan, libFuzzer), scratch directory before tests/fuzz/corpus/<target>."
  echo
  echo "| target | executions | wall s | exec/s | new corpus units | crashes |"
  echo "|---|--:|--:|--:|--:|--:|"
  for t in "${targets[@]}"; do
    if [[ ! -f "$work/$t/result" ]]; then
      echo "| $t | - | - | - | - | not run |"
      continue
    fi
    read -r execs secs new crashes artifact <"$work/$t/result"
    rate=$(awk -v e="$execs" -v s="$secs" 'BEGIN {printf "%.0f", (s > 0 ? e / s : 0)}')
    printf '| %s | %s | %.0f | %s | %s | %s |\n' "$t" "$execs" "$secs" "$rate" "$new" "$crashes"
  done
  echo
  for t in "${targets[@]}"; do
    [[ -f "$work/$t/result" ]] || continue
    read -r execs secs new crashes artifact <"$work/$t/result"
    [[ "$crashes" != 0 ]] && echo "- $t: crash, see \`$artifact\` (log: \`$work/$t/log\`)"
  done
} >"$out"
cat "$out"
for t in "${targets[@]}"; do
  [[ -f "$work/$t/result" ]] || continue
  read -r execs secs new crashes artifact <"$work/$t/result"
  if [[ "$crashes" != 0 ]]; then
    echo "fuzz.sh: $t crashed: $artifact" >&2
    failed=1
  fi
done
exit $failed
