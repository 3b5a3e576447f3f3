#!/usr/bin/env python3
"""What the GPU compilers make of the fused MLP kernels, without a GPU.

cuda (nvcc): compiles src/kernels/gpu/mlp*.cu to PTX with the build's flags, runs ptxas on it, and
prints per kernel the registers, stack and spills (ptxas -v), and for its loops that do fmas (the
products' inner loops) the instructions per fma: one warp scheduler issues one instruction per
cycle, so a loop that issues n instructions per fma runs at most at 1/n of the fp32 fma peak. PTX
is before ptxas's own scheduling: a proxy.

hip (hipcc): compiles them for gfx90a (an MI250X's GCD, Frontier's) to the machine's own assembly,
and prints per kernel the VGPRs, AGPRs, scratch and VGPR spills and the wavefronts per SIMD the
registers allow (the compiler's resource remarks; the dynamic shared memory, which may allow fewer,
is the launcher's), and the fma loops counted as above, v_pk_fma_f32 as two fmas (the packed fma
that the fp32 peak counts), their loads split by kind: LDS (ds_read), global, scalar (s_load),
scratch, and flat (the address space lost: these wait on both the memory and the LDS counters).

A kernel with no fma loop (unrolled straight-line code) is counted whole. Neither is a
measurement; `bench -bench_mode kernels` on a GPU is.

usage: gpu_code_report.py [--vendor cuda|hip] [--src DIR] [--nvcc NVCC] [--arch sm_90|gfx90a]
                          [--type f|d] [--filter MLP] [--loops 4]
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


# what each bool template argument of a kernel says, in order (true, false)
BOOLS = {"MLPKernel": [("vec", "scalar"), ("staged", "in place")]}


def short(name):
    m = re.search(r"(?:_cu_\w{8}|gnngpu|_GLOBAL__N_1)\d+([A-Za-z]+)I([fd])((?:L[ib]\d+E)*)E", name)
    if not m:
        return name[:60]
    kernel, args, bools, out = m.group(1), re.findall(r"Li(\d+)E|Lb(\d)E", m.group(3)), 0, []
    for a, b in args:
        if a:
            out.append(a)
            continue
        names = BOOLS.get(kernel, [("vec", "scalar")])
        t, f = names[min(bools, len(names) - 1)]
        out.append(t if b == "1" else f)
        bools += 1
    return f"{kernel}<{'float' if m.group(2) == 'f' else 'double'}{''.join(', ' + o for o in out)}>"


def sources(src):
    gpu = os.path.join(src, "src/kernels/gpu")
    return gpu, sorted(f for f in os.listdir(gpu) if f.startswith("mlp") and f.endswith(".cu"))


def wanted(a, name):
    return a.filter in name and re.search(rf"I{a.type}[EL]", name)


def cuda_report(a):
    if not os.path.exists(a.nvcc):
        sys.exit(f"no nvcc at {a.nvcc} (--nvcc)")
    arch = a.arch or "sm_90"
    ptxas = os.path.join(os.path.dirname(a.nvcc), "ptxas")
    gpu, cus = sources(a.src)
    usage, text = {}, ""
    with tempfile.TemporaryDirectory() as tmp:
        for cu in cus:
            ptx = os.path.join(tmp, cu + ".ptx")
            subprocess.run([a.nvcc, "-std=c++17", f"-arch={arch}", "--fmad=false", "-O3", "-I" + os.path.join(a.src, "src"), "-ptx",
                            os.path.join(gpu, cu), "-o", ptx], check=True)
            res = subprocess.run([ptxas, f"-arch={arch}", "-v", ptx, "-o", os.path.join(tmp, "k.cubin")], check=True, capture_output=True, text=True)
            text += open(ptx).read()
            for m in re.finditer(r"Compiling entry function '(\S+)'.*?(\d+) bytes stack frame, (\d+) bytes spill stores.*?Used (\d+) registers", res.stderr, re.S):
                usage[m.group(1)] = (int(m.group(4)), int(m.group(2)), int(m.group(3)))
    print(f"| kernel ({arch}) | registers | stack, spill stores (bytes) | whole kernel: instructions per fma | its fma loops, most fmas first: instructions (loads) per fma |")
    print("|---|---|---|---|---|")
    for name, lines in entries(text).items():
        if not wanted(a, name):
            continue
        regs, stack, spill = usage.get(name, (-1, -1, -1))
        ins = instructions(lines)
        whole = f"{len(ins) / max(1, sum(i.startswith('fma') for i in ins)):.2f}"
        loops = sorted(fma_loops(lines), key=lambda l: -l[1])
        desc = ", ".join(f"{n / f:.2f} ({ld / f:.2f}) x{f}" for n, f, ld in loops[:a.loops]) if loops else "none (unrolled)"
        print(f"| {short(name)} | {regs} | {stack}, {spill} | {whole} | {desc} |")


# ---- AMD (hipcc): the assembly of gfx90a ----
FMA2 = ("v_pk_fma_f32",)
FMA1 = ("v_fma_f32", "v_fmac_f32", "v_fma_f64", "v_fmac_f64")
LOADS = (("LDS", ("ds_read",)), ("global", ("global_load",)), ("scalar", ("s_load", "s_buffer_load")),
         ("scratch", ("scratch_load", "buffer_load")), ("flat", ("flat_load",)))


def amd_ops(lines):
    """the instructions' mnemonics (no labels, directives or comments)"""
    out = []
    for l in lines:
        t = l.split(";")[0].strip()
        if t and not t.startswith(".") and not t.endswith(":"):
            out.append(t.split()[0])
    return out


def amd_count(ops):
    """(instructions, fmas, {load kind: count})"""
    fma = sum(2 if o in FMA2 else 1 for o in ops if o in FMA2 or o in FMA1)
    loads = {k: sum(o.startswith(p) for o in ops) for k, p in LOADS}
    return len(ops), fma, loads


def amd_loads(loads, fma):
    return ", ".join(f"{k} {n / fma:.2f}" for k, n in loads.items() if n) or "none"


def hip_report(a):
    hipcc = shutil.which("hipcc")
    if not hipcc:
        sys.exit("no hipcc (apt-get install hipcc)")
    arch = a.arch or "gfx90a"
    gpu, cus = sources(a.src)
    asm, usage = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for cu in cus:
            res = subprocess.run([hipcc, "-x", "hip", f"--offload-arch={arch}", "-std=c++17", "-O3", "-ffp-contract=off", "-fPIC",
                                  "-I" + os.path.join(a.src, "src"), "-c", os.path.join(gpu, cu), "-o", os.path.join(tmp, cu + ".o"),
                                  "-save-temps", "-Rpass-analysis=kernel-resource-usage"], cwd=tmp, capture_output=True, text=True)
            if res.returncode:
                sys.exit(res.stderr[-3000:])
            name = None
            for l in res.stderr.split("\n"):
                m = re.search(r"Function Name: (\S+)", l)
                if m:
                    name = m.group(1)
                    usage[name] = {}
                    continue
                m = re.search(r":\s+(\w[\w ]*?)(?: \[[^\]]*\])?: (\d+) \[-Rpass", l)
                if m and name:
                    usage[name][m.group(1)] = int(m.group(2))
            s = os.path.join(tmp, f"{cu[:-3]}-hip-amdgcn-amd-amdhsa-{arch}.s")
            asm += open(s).read().split("\n")
    kernels = groups(asm, r"^(_Z\S+):", False)
    print(f"| kernel ({arch}) | VGPRs, AGPRs | scratch (bytes per lane), VGPR spills | wavefronts per SIMD (registers) | whole kernel: instructions per fma (loads per fma) | its fma loops, most fmas first: instructions per fma (loads per fma) |")
    print("|---|---|---|---|---|---|")
    for name, lines in kernels.items():
        if not wanted(a, name):
            continue
        lines = lines[:next((i for i, l in enumerate(lines) if l.startswith(".Lfunc_end")), len(lines))]
        u = usage.get(name, {})
        n, fma, loads = amd_count(amd_ops(lines))
        whole = f"{n / max(1, fma):.2f} ({amd_loads(loads, max(1, fma))})"
        loops = []
        for label, body in groups(lines, r"^(\.LBB\d+_\d+):", False).items():
            ops = amd_ops(body)
            branches = [l.split(";")[0].strip() for l in body if l.strip().startswith("s_cbranch") or l.strip().startswith("s_branch")]
            if not any(b.endswith(label) for b in branches):
                continue
            ln, lf, ll = amd_count(ops)
            if lf:
                loops.append((lf, ln, ll))
        loops.sort(key=lambda l: -l[0])
        desc = "; ".join(f"{ln / lf:.2f} ({amd_loads(ll, lf)}) x{lf}" for lf, ln, ll in loops[:a.loops]) if loops else "none (unrolled)"
        print(f"| {short(name)} | {u.get('VGPRs', '?')}, {u.get('AGPRs', '?')} | {u.get('ScratchSize', '?')}, {u.get('VGPRs Spill', '?')} | {u.get('Occupancy', '?')} | {whole} | {desc} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--vendor", choices=["cuda", "hip"], default=None, help="cuda (nvcc, PTX) or hip (hipcc, gfx90a assembly); default: cuda where nvcc is")
    ap.add_argument("--src", default=os.path.dirname(here), help="the source tree (default: this one)")
    ap.add_argument("--nvcc", default=shutil.which("nvcc") or "/usr/local/cuda/bin/nvcc")
    ap.add_argument("--arch", default=None, help="sm_90 (cuda) or gfx90a (hip), the defaults")
    ap.add_argument("--type", default="f", choices=["f", "d"], help="float (f) or double (d) kernels")
    ap.add_argument("--filter", default="MLP", help="kernels whose name holds this")
    ap.add_argument("--loops", type=int, default=4, help="how many of a kernel's fma loops to list")
    a = ap.parse_args()
    vendor = a.vendor or ("cuda" if os.path.exists(a.nvcc) else "hip")
    (cuda_report if vendor == "cuda" else hip_report)(a)


if __name__ == "__main__":
    main()
