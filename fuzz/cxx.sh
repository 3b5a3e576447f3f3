#!/usr/bin/env bash
# The C++ compiler of the instrumented library of make fuzz (fuzz/run.sh): clang++ with coverage
# for libFuzzer, ASan and UBSan for the readers (src/sys, src/graph, src/data, src/train, src/ts,
# the weights file, the checkpoint) and what they call; g++ as in the ordinary build, without the
# sanitizer flags, for the model's numerics (src/nn, src/halo, src/kernels: the CPU kernels'
# target_clones templates are GCC-only; the other LibTorch-heavy units compile slowly and read no
# file), so that ccache finds them from the ordinary build. Both link into one library (same
# libstdc++ ABI).
command -v ccache >/dev/null && cc=(ccache) || cc=()
case " $* " in
  *"/src/kernels/"* | *"/src/nn/"* | *"/src/halo/"* | *"/src/gnn/interface/gnn.cxx"* | *"/src/gnn/interface/gnnapply.cxx"* | *"/src/gnn/interface/gnnnormalize.cxx"* | *"/src/gnn/interface/gnnnodefeatures.cxx"*)
    args=()
    for a in "$@"; do
      case $a in
        -fsanitize* | -fno-sanitize* | -Wno-unknown-warning-option) ;;
        -fopenmp=*) args+=(-fopenmp) ;;
        *) args+=("$a") ;;
      esac
    done
    exec "${cc[@]}" c++ "${args[@]}" ;;
  *) exec "${cc[@]}" clang++ "$@" ;;
esac
