#!/usr/bin/env bash
# Checkpoints: a training run killed with SIGKILL in the middle and resumed on another rank count
# reproduces the uninterrupted run (loss history and final weights, float64, <= 1e-10 relative);
# bad checkpoints are clear errors with no hang.
# Usage: test_checkpoint.sh BUILD_DIR SOURCE_DIR
set -u
build=$1; src=$2
ex2="$build/examples/ex2"
tmp=$(mktemp -d "$build/test_checkpoint.XXXXXX")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
common="-dm_plex_dim 2 -dm_plex_simplex 0 -dm_plex_box_faces 20,20 -dm_plex_box_upper 6.283185307179586,6.283185307179586
        -gnn_precision float64 -gnn_hidden 16 -gnn_train_steps 120 -gnn_train_lr 1e-3 -gnn_train_warmup_steps 5
        -gnn_train_normalize -gnn_train_noise 0.01 -gnn_train_optimizer adamw"
fail() { echo "FAIL: $*"; exit 1; }

# 1. the uninterrupted run, 1 rank
timeout 300 mpiexec --oversubscribe -n 1 "$ex2" $common -gnn_train_history "$tmp/a.csv" -gnn_save_weights "$tmp/a.pt" > "$tmp/a.log" 2>&1 || fail "uninterrupted run: $(tail -5 "$tmp/a.log")"

# 2. the same on 2 ranks with checkpoints every 10 steps, killed with SIGKILL past step 45.
# mpiexec runs in a session of its own (setsid; it is not a process group leader here, so setsid
# does not fork and $! is mpiexec, the session leader). OpenMPI puts every rank in a process group
# of its own, so killing mpiexec's process group would leave the ranks running as orphans; mpiexec
# does not pass SIGKILL on either. What is killed is every process of that session, by PID: only
# processes this script started.
# live (not zombie) processes of session $1
session_pids() { ps -eo pid=,sid=,stat= | awk -v s="$1" '$2 == s && $3 !~ /^Z/ { print $1 }'; }
setsid mpiexec --oversubscribe -n 2 "$ex2" $common -gnn_train_history "$tmp/b.csv" -gnn_checkpoint "$tmp/ckpt" -gnn_checkpoint_every 10 > "$tmp/b.log" 2>&1 &
pid=$!
for i in $(seq 1 600); do
  n=0; [ -f "$tmp/b.csv" ] && n=$(wc -l < "$tmp/b.csv")
  [ "$n" -ge 47 ] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.1
done
[ "$(ps -o sid= -p $pid | tr -d ' ')" = "$pid" ] || { kill -KILL $pid 2>/dev/null; fail "mpiexec (pid $pid) is not the leader of a session of its own"; }
victims=$(session_pids $pid)
nvictims=$(wc -w <<<"$victims")
kill -KILL $victims 2>/dev/null
n_at_kill=$(wc -l < "$tmp/b.csv")
wait $pid 2>/dev/null || true
# SIGKILL is final: within 2 s nothing of the run may be left, and it must not have written since
for i in $(seq 1 20); do [ -z "$(session_pids $pid)" ] && break; sleep 0.1; done
survivors=$(session_pids $pid)
[ -z "$survivors" ] || { kill -KILL $survivors 2>/dev/null; fail "processes of the killed run survived SIGKILL: $(ps -o pid=,args= -p "$(paste -sd, <<<"$survivors")")"; }
[ "$(wc -l < "$tmp/b.csv")" -eq "$n_at_kill" ] || fail "the history grew after the kill ($n_at_kill -> $(wc -l < "$tmp/b.csv") lines)"
[ "$nvictims" -ge 3 ] || fail "expected mpiexec and 2 ranks in the killed session, found $nvictims process(es)"
killed_at=$(($(wc -l < "$tmp/b.csv") - 1))
[ "$killed_at" -ge 46 ] && [ "$killed_at" -lt 120 ] || fail "the run was not killed in the middle (history has $killed_at steps)"
[ -f "$tmp/ckpt" ] || fail "no checkpoint was written"
echo "killed with SIGKILL after $killed_at steps ($nvictims processes: mpiexec and its ranks)"

# 3. resume on 3 ranks from the last checkpoint; the history keeps the steps before it. A last line
# cut mid-write (no newline; here the start of a step number below the checkpoint's) is dropped.
printf '7' >> "$tmp/b.csv"
timeout 300 mpiexec --oversubscribe -n 3 "$ex2" $common -gnn_resume "$tmp/ckpt" -gnn_train_history "$tmp/b.csv" -gnn_save_weights "$tmp/b.pt" -gnn_train_view > "$tmp/c.log" 2>&1 || fail "resumed run: $(tail -5 "$tmp/c.log")"
grep -q "resumed from" "$tmp/c.log" || fail "the resumed run did not say it resumed"

# 4. compare histories (every step) and final weights
/usr/bin/python3 - "$tmp" <<'PY' || fail "resumed run differs from the uninterrupted one"
import sys, torch
tmp = sys.argv[1]
def hist(f):
    rows = [l.strip().split(",") for l in open(f).read().splitlines()[1:]]
    return {int(s): float(v) for s, v in rows}
a, b = hist(tmp + "/a.csv"), hist(tmp + "/b.csv")
assert sorted(a) == list(range(120)) and sorted(b) == list(range(120)), (len(a), len(b))
rel = max(abs(a[k] - b[k]) for k in a) / max(abs(v) for v in a.values())
wa, wb = torch.load(tmp + "/a.pt"), torch.load(tmp + "/b.pt")
wrel = max(float((wa[k] - wb[k]).abs().max()) for k in wa) / max(float(wa[k].abs().max()) for k in wa)
print(f"history rel diff {rel:.3e}, weights rel diff {wrel:.3e}, loss {a[0]:.4e} -> {a[119]:.4e}")
sys.exit(0 if rel <= 1e-10 and wrel <= 1e-10 and a[119] < a[0] else 1)
PY

# 5. bad checkpoints: errors on every rank, no hang
expect_error() {
  local name=$1 regex=$2; shift 2
  out=$(timeout 120 mpiexec --oversubscribe -n 2 "$ex2" "$@" 2>&1); rc=$?
  [ $rc -ne 124 ] || fail "$name: hang"
  [ $rc -ne 0 ] || fail "$name: exit code 0"
  grep -Eq "PETSC ERROR: .*($regex)" <<<"$out" || fail "$name: no error matching '$regex': $(grep 'PETSC ERROR' <<<"$out" | head -3)"
  echo "ok   $name: $(grep -E "PETSC ERROR: .*($regex)" <<<"$out" | head -1)"
}
head -c $(($(stat -c %s "$tmp/ckpt") / 2)) "$tmp/ckpt" > "$tmp/truncated"
expect_error truncated_checkpoint "truncated or another format" $common -gnn_resume "$tmp/truncated"
expect_error foreign_checkpoint   "not a petscgnn checkpoint"   $common -gnn_resume "$tmp/a.pt"
expect_error other_architecture   "another architecture"        $common -gnn_hidden 8 -gnn_resume "$tmp/ckpt"
expect_error missing_checkpoint   "Cannot open the checkpoint"  $common -gnn_resume "$tmp/none"
# crafted checkpoints: each field out of its range is refused before it reaches the optimiser
/usr/bin/python3 - "$tmp" <<'PY' || fail "could not write the crafted checkpoints"
import sys, torch
tmp = sys.argv[1]
good = torch.load(tmp + "/ckpt")
def crafted(name, key, value):
    d = dict(good)
    d[key] = value
    torch.save(d, tmp + "/" + name)
opt = good["optimizer"]
crafted("negstep", "step", torch.tensor([-5], dtype=torch.int64))
crafted("bigstep", "step", torch.tensor([10 ** 12], dtype=torch.int64))
o = opt.clone(); o[0] = 7; crafted("opttype", "optimizer", o)
o = opt.clone(); o[9] = float("nan"); crafted("nansteps", "optimizer", o)
o = opt.clone(); o[1] = -1e-3; crafted("neglr", "optimizer", o)
m = good["adam_m"].clone(); m[0] = float("inf"); crafted("infmoment", "adam_m", m)
w = good["model.decoder.linear.0.weight"].clone(); w.view(-1)[3] = float("nan"); crafted("nanweight", "model.decoder.linear.0.weight", w)
sd = good["model.input_std"].clone(); sd[1] = 0; crafted("zerostd", "model.input_std", sd)
# version 1 (before the graph record): still loads, unchecked
d = dict(good); del d["graph"]; d["petscgnn_checkpoint"] = torch.tensor([0x474E4E43, 1], dtype=torch.int64)
torch.save(d, tmp + "/version1")
d = dict(good); d["petscgnn_checkpoint"] = torch.tensor([0x474E4E43, 3], dtype=torch.int64)
torch.save(d, tmp + "/version3")
PY
expect_error negative_step        "its step -5 is not in"           $common -gnn_resume "$tmp/negstep"
expect_error step_past_the_end    "is not in \\[0, steps"           $common -gnn_resume "$tmp/bigstep"
expect_error optimizer_type_7     "optimiser type 7"                $common -gnn_resume "$tmp/opttype"
expect_error steps_nan            "not finite"                      $common -gnn_resume "$tmp/nansteps"
expect_error negative_lr          "learning rate must be positive"  $common -gnn_resume "$tmp/neglr"
# the same checks guard the options
expect_error option_eps_negative  "Adam epsilon must be positive"   $common -gnn_train_eps -1
expect_error option_decay_negative "weight decay must be non-negative" $common -gnn_train_weight_decay -0.5
expect_error moment_inf           "not finite"                      $common -gnn_resume "$tmp/infmoment"
# loaded weights and buffers are checked as GNNSetNormalization checks its arguments
expect_error model_weight_nan     "entry decoder.linear.0.weight holds a non-finite value \\(nan\\) at flat index 3" $common -gnn_resume "$tmp/nanweight"
expect_error model_std_zero       "entry input_std\\[1\\] = 0 is not positive"      $common -gnn_resume "$tmp/zerostd"
# another graph: other node count, or the same count at other coordinates (the fingerprint)
expect_error other_graph_nodes    "written on a graph of 441 nodes, this graph has 462" ${common/20,20/21,20} -gnn_resume "$tmp/ckpt"
expect_error other_graph_coords   "written on another graph \\(fingerprint"            ${common/6.283185307179586,6.283185307179586/6.283185307179586,6} -gnn_resume "$tmp/ckpt"
expect_error version_3            "checkpoint version 3, this library reads versions 1 and 2" $common -gnn_resume "$tmp/version3"
# truncated in the zip structure (before LibTorch's reader sees it): cut at 5,000 and 20,000 bytes
head -c 5000 "$tmp/ckpt" > "$tmp/cut5k"; head -c 20000 "$tmp/ckpt" > "$tmp/cut20k"
expect_error cut_at_5000          "truncated or another format\\): it is not a zip archive, or it is truncated" $common -gnn_resume "$tmp/cut5k"
expect_error cut_at_20000         "truncated or another format\\): it is not a zip archive, or it is truncated" $common -gnn_resume "$tmp/cut20k"
v1=$(timeout 120 mpiexec --oversubscribe -n 2 "$ex2" $common -gnn_resume "$tmp/version1" -gnn_train_view 2>&1) || fail "version1_loads: $(grep 'PETSC ERROR' <<<"$v1" | head -3)"
grep -q "resumed from" <<<"$v1" || fail "version1_loads: the run did not say it resumed"
echo "ok   version1_loads: a checkpoint without the graph record resumes"
# a directory where a file is expected: a clear error, not an exception from the C++ library
expect_error checkpoint_directory "Cannot open the checkpoint"      $common -gnn_resume "$tmp"
expect_error weights_directory    "Cannot open the weights file"    $common -gnn_load_weights "$tmp"
# a failed write leaves no temporary file behind: the target is a directory, so the temporary
# file is written in full and the rename over the target fails
mkdir -p "$tmp/adir"
expect_error checkpoint_unwritable "Cannot write the checkpoint"    $common -gnn_train_steps 2 -gnn_checkpoint "$tmp/adir"
[ ! -e "$tmp/adir.tmp" ] || fail "a temporary checkpoint file was left behind"
expect_error history_unwritable   "Cannot write the history file|Cannot append to the history file" $common -gnn_train_steps 2 -gnn_train_history "$tmp/no/such/dir/h.csv"
rm -rf "$tmp"
echo "26 passed, 0 failed"
