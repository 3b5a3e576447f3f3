#!/usr/bin/env bash
# The layers read each other through public or internal interfaces only: each private header
# (*impl.h) is included in its own layer alone, and the device-specific kernels only behind the
# kernel interface. A violation names the file and the header.
# usage: test_layers.sh SOURCE_DIR
set -u
src=${1:?usage: test_layers.sh SOURCE_DIR}/src
failed=0
# check HEADER ALLOWED_REGEX: files under src/ that include HEADER must match ALLOWED_REGEX
check() {
  local header=$1 allowed=$2 bad
  bad=$(grep -rlE "#include +[\"<]$header[\">]" "$src" | sed "s#^$src/##" | grep -vE "$allowed")
  if [ -n "$bad" ]; then
    echo "FAIL $header included outside its layer: $(echo $bad)"
    failed=$((failed + 1))
  else
    echo "ok   $header: $(grep -rlE "#include +[\"<]$header[\">]" "$src" | wc -l) includes, all inside the layer"
  fi
}
check 'gnngraphimpl\.h' '^(graph/|sys/gnninit\.cxx$)'    # the graph; the package init registers its types
check 'gnnimpl\.h'      '^gnn/'
check 'gnntrainimpl\.h' '^train/'
check 'plexgraph\.h'   '^graph/impls/plex/'
check 'kernels/cpu/cpukernels\.hpp' '^kernels/'
check 'kernels/gpu/gpukernels\.h'   '^(kernels/|gnn/interface/gnn\.cxx$|gnn/interface/gnnmemory\.cxx$)' # gnn.cxx asks which GPU kernels the build has, gnnmemory.cxx how much memory its GPU has free
check 'kernels/gnnkernelbodies\.h'  '^kernels/'
check 'kernels/gpu/gnngpuruntime\.h' '^kernels/gpu/'
echo "$((8 - failed)) passed, $failed failed"
[ $failed -eq 0 ]
