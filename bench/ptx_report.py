#!/usr/bin/env python3
"""What the GPU compiler makes of the fused MLP kernels, without a GPU: compiles
src/kernels/gpu/mlp*.cu to PTX with the build's flags, runs ptxas on it, and prints per kernel
the registers, stack and spills (ptxas -v), and for its loops that do fmas (the products' inner
loops) the instructions per fma: one warp scheduler issues one instruction per cycle, so a loop
that issues n instructions per fma runs at most at 1/n of the fp32 fma peak. A kernel with no such
loop (unrolled straight-line code) is counted whole. PTX is before ptxas's own scheduling: a proxy,
not a measurement; `bench -bench_mode kernels` on a GPU is the measurement.

usage: ptx_report.py [--src DIR] [--nvcc NVCC] [--arch sm_90] [--type f|d] [--filter MLP] [--loops 4]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile


def groups(lines, pattern, keep_header):
    """{name: its lines}: a group starts at each line that matches pattern (group 1 the name)"""
    out, name = {}, None
    for line in lines:
        m = re.match(pattern, line)
        if m:
            name = m.group(1)
            out[name] = []
            if not keep_header:
                continue
        if name:
            out[name].append(line)
    return out


def entries(ptx):
    """{kernel name: its PTX lines}"""
    return groups(ptx.split("\n"), r"^\.(?:visible )?\.?entry\s+(\S+)\(", True)


def instructions(lines):
    return [l.strip() for l in lines if l.strip() and not l.strip().startswith(("//", ".", "{", "}", "$", "(", ")"))]


def fma_loops(lines):
    """the basic blocks that branch back to themselves and hold fmas: (instructions, fmas, loads)"""
    blocks = groups(lines, r"^(\$L__BB\d+_\d+):", False)
    loops = []
    for name, body in blocks.items():
        ins = instructions(body)
        if not any(i.startswith(("bra", "@")) and i.endswith(name + ";") for i in ins):
            continue
        fma = sum(i.startswith("fma") for i in ins)
        if fma:
            loops.append((len(ins), fma, sum(i.startswith("ld") for i in ins)))
    return loops


def short(name):
    m = re.search(r"(?:_cu_\w{8}|gnngpu)\d+([A-Za-z]+)I([fd])((?:L[ib]\d+E)*)E", name)
    if not m:
        return name[:60]
    args = re.findall(r"Li(\d+)E|Lb(\d)E", m.group(3))
    return f"{m.group(1)}<{'float' if m.group(2) == 'f' else 'double'}{''.join(', ' + (a or ('vec' if b == '1' else 'scalar')) for a, b in args)}>"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--src", default=os.path.dirname(here), help="the source tree (default: this one)")
    ap.add_argument("--nvcc", default=shutil.which("nvcc") or "/usr/local/cuda/bin/nvcc")
    ap.add_argument("--arch", default="sm_90")
    ap.add_argument("--type", default="f", choices=["f", "d"], help="float (f) or double (d) kernels")
    ap.add_argument("--filter", default="MLP", help="kernels whose name holds this")
    ap.add_argument("--loops", type=int, default=4, help="how many of a kernel's fma loops to list")
    a = ap.parse_args()
    if not os.path.exists(a.nvcc):
        sys.exit(f"no nvcc at {a.nvcc} (--nvcc)")
    ptxas = os.path.join(os.path.dirname(a.nvcc), "ptxas")
    gpu = os.path.join(a.src, "src/kernels/gpu")
    sources = sorted(f for f in os.listdir(gpu) if f.startswith("mlp") and f.endswith(".cu"))
    usage, text = {}, ""
    with tempfile.TemporaryDirectory() as tmp:
        for cu in sources:
            ptx = os.path.join(tmp, cu + ".ptx")
            subprocess.run([a.nvcc, "-std=c++17", f"-arch={a.arch}", "--fmad=false", "-O3", "-I" + os.path.join(a.src, "src"), "-ptx",
                            os.path.join(gpu, cu), "-o", ptx], check=True)
            res = subprocess.run([ptxas, f"-arch={a.arch}", "-v", ptx, "-o", os.path.join(tmp, "k.cubin")], check=True, capture_output=True, text=True)
            text += open(ptx).read()
            for m in re.finditer(r"Compiling entry function '(\S+)'.*?(\d+) bytes stack frame, (\d+) bytes spill stores.*?Used (\d+) registers", res.stderr, re.S):
                usage[m.group(1)] = (int(m.group(4)), int(m.group(2)), int(m.group(3)))
    print(f"| kernel ({a.arch}) | registers | stack, spill stores (bytes) | whole kernel: instructions per fma | its fma loops, most fmas first: instructions (loads) per fma |")
    print("|---|---|---|---|---|")
    for name, lines in entries(text).items():
        if a.filter not in name or not re.search(rf"I{a.type}[EL]", name):
            continue
        regs, stack, spill = usage.get(name, (-1, -1, -1))
        ins = instructions(lines)
        whole = f"{len(ins) / max(1, sum(i.startswith('fma') for i in ins)):.2f}"
        loops = sorted(fma_loops(lines), key=lambda l: -l[1])
        desc = ", ".join(f"{n / f:.2f} ({ld / f:.2f}) x{f}" for n, f, ld in loops[:a.loops]) if loops else "none (unrolled)"
        print(f"| {short(name)} | {regs} | {stack}, {spill} | {whole} | {desc} |")


if __name__ == "__main__":
    main()
