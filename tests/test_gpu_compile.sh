#!/usr/bin/env bash
# The GPU kernels (src/kernels/gpu/*.cu) compile without a GPU: hip (hipcc for gfx90a) or cuda
# (nvcc for sm_90); each object must hold code for that architecture. The sources compile in
# parallel, as the build compiles them.
# usage: test_gpu_compile.sh hip|cuda SOURCE_DIR BINARY_DIR [NVCC]
set -euo pipefail
vendor=$1 src=$2 bin=$3
compile() { # one source into $obj
  local cu=$1 obj=$2
  case $vendor in
    hip)
      hipcc -x hip --offload-arch=gfx90a -std=c++17 -O3 -ffp-contract=off -fPIC -Wall -Werror -I"$src/src" -c "$cu" -o "$obj" \
        -Rpass-analysis=kernel-resource-usage 2>"$obj.usage" || { cat "$obj.usage"; return 1; }
      # the offload bundle names the target
      grep -aq "gfx90a" "$obj" || { echo "no gfx90a code in $obj"; return 1; }
      # no float kernel spills vector registers (a kernel without __launch_bounds__ gets 128 VGPRs,
      # for blocks of 1024 threads, and the fused forward spilled 130 of them)
      awk '/Function Name:/ { name = $NF == "[-Rpass-analysis=kernel-resource-usage]" ? $(NF - 1) : $NF }
           /VGPRs Spill:/ { n = $0; sub(/.*VGPRs Spill: /, "", n); sub(/ .*/, "", n)
                            if (name ~ /KernelIf/ && n + 0 > 0) { print "gfx90a: " name " spills " n " VGPRs"; bad = 1 } }
           END { exit bad }' "$obj.usage" ;;
    cuda)
      "$nvcc" -std=c++17 -arch=sm_90 --fmad=false -O3 -Xcompiler -fPIC,-Wall -Werror all-warnings -I"$src/src" -c "$cu" -o "$obj"
      if [ -x "$cuobjdump" ]; then "$cuobjdump" --list-elf "$obj" | grep -q sm_90 || { echo "no sm_90 code in $obj"; return 1; }; fi ;;
  esac
}
case $vendor in
  # hipcc --version prints a harmless traceback without /sys/class/kfd: it is not called
  hip) command -v hipcc >/dev/null || { echo "hipcc is not installed (make deps installs it)"; exit 1; } ;;
  cuda) nvcc=${4:-nvcc} cuobjdump=$(dirname "${4:-$(command -v nvcc)}")/cuobjdump ;;
  *) echo "usage: $0 hip|cuda SOURCE_DIR BINARY_DIR [NVCC]"; exit 2 ;;
esac
pids=() objs=()
for cu in "$src"/src/kernels/gpu/*.cu; do
  obj=$bin/test_gpu_compile_${vendor}_$(basename "$cu" .cu).o
  rm -f "$obj"
  compile "$cu" "$obj" &
  pids+=($!) objs+=("$obj")
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
[ $rc = 0 ] || { echo "a GPU kernel source did not compile for $vendor (or, for hip, a float kernel spilled)"; exit 1; }
echo "GPU kernels compiled for $vendor: $(stat -c %s "${objs[@]}" | awk '{s += $1} END {print s}') bytes in ${#objs[@]} objects"
