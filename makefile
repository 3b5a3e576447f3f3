# petscgnn: the two commands of a new user (README.md). Both install what is missing (Debian
# packages, as root), configure and build with CMake, then run.
#   make run    the main job on 2 ranks: flow solver + in-situ GNN training + surrogate rollout
#   make test   every test (CTest: GoogleTest programs under mpiexec at 1-4 ranks, scripts)
BUILD  ?= build
NP     ?= 2
JOBS   ?= $(shell nproc)
# mpiexec as root (containers, CI) must be told it is wanted
export OMPI_ALLOW_RUN_AS_ROOT := 1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM := 1
MPIEXEC ?= mpiexec --oversubscribe

PACKAGES = petsc-dev libpetsc3.18-dev-examples libtorch-dev libgtest-dev openmpi-bin cmake pkg-config g++ make hipcc libamdhip64-dev \
           libopenblas0-pthread ccache gmsh python3-torch python3-numpy python3-matplotlib

.PHONY: all deps build run run-ex1 run-plugin test test-asan fuzz clean bench gpu-bundle

all: build

deps:
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "Run as root (apt-get) or install:$$missing"; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

# CASE=tgv (default): the Taylor-Green vortex; CASE=cylinder: vortex shedding behind a cylinder at
# Re 100 (README: "The cylinder surrogate"), on the coarse cylinder mesh
CASE ?= tgv
CASE_OPTS_tgv =
CASE_OPTS_cylinder = -flow_case cylinder -dm_plex_filename $(CURDIR)/share/meshes/cylinder-coarse.msh -flow_dt 0.02 \
  -snes_lag_jacobian 4 -snes_lag_jacobian_persists -insitu_solver_warmup 300 -insitu_every 1 \
  -insitu_train_samples 60 -insitu_train_per_sample 500 -insitu_rollout_samples 60 \
  -gnn_mlp_hidden_layers 2 -gnn_train_lr 2e-3 -gnn_train_clip 1 -gnn_train_noise 0.0075 -gnn_train_pushforward 0.5 \
  -gnn_train_monitor_every 1000
run: build
	@test -n "$(filter $(CASE),tgv cylinder)" || { echo "CASE must be tgv or cylinder"; exit 1; }
	@mkdir -p output
	$(MPIEXEC) -n $(NP) $(BUILD)/examples/insitu/ex4 -insitu_output output -gnn_train_monitor_every 50 \
	  $(CASE_OPTS_$(CASE)) -gnn_view -gnn_graph_view -log_view :output/log_view.txt
	/usr/bin/python3 share/scripts/plot_insitu.py output
	@echo "Results in output/: summary.txt, train_history.csv, rollout_error.csv, fields_final.vtu (ParaView),"
	@echo "train_loss.png, rollout_error.png, fields.png, log_view.txt"

# Example 1 alone: evaluate an untrained GNN on a mesh and write its fields
run-ex1: build
	@mkdir -p output
	$(MPIEXEC) -n $(NP) $(BUILD)/examples/ex1 -dm_plex_dim 2 -dm_plex_simplex 0 -dm_plex_box_faces 16,16 \
	  -dm_plex_box_upper 6.283185307179586,6.283185307179586 -gnn_view -gnn_graph_view \
	  -gnn_output_csv output/ex1.csv -gnn_output_view vtk:output/ex1.vtu

# The plug-in (README: "Use it in your own PETSc application without changing a line"): PETSc's
# own Gray-Scott tutorial, compiled from Debian's installed source as it is, trains a GNN in situ
# with options only, then runs again with the GNN instead of the solver (-ts_type gnn) and in hybrid
# mode; writes output/plugin_history.csv, plugin_weights.pt, plugin_loss.png and plugin_surrogate.png;
# then a flow case, ts/tutorials/ex46 (Navier-Stokes), trained and replaced the same way
PETSC_TS_TUTORIALS ?= /usr/share/petsc/3.18/share/petsc/examples/src/ts/tutorials
ADR = $(PETSC_TS_TUTORIALS)/advection-diffusion-reaction
PLUGIN_RUN = -da_grid_x 48 -da_grid_y 48 -ts_type rk -ts_adapt_type none -ts_dt 2 -ts_max_steps 100 \
  -dll_append $(CURDIR)/$(BUILD)/libpetscgnn.so -gnn_ts_every 2 -gnn_residual -gnn_train_normalize
FLOW_RUN = -mms 2 -dm_plex_simplex 0 -dm_plex_box_faces 6,6 -vel_petscspace_degree 2 -pres_petscspace_degree 1 \
  -ts_type beuler -ts_dt 0.025 -ts_max_steps 20 -ksp_type preonly -pc_type lu -pc_factor_mat_solver_type mumps \
  -mat_mumps_icntl_24 1 -snes_rtol 1e-12 -snes_atol 1e-12 -dll_append $(CURDIR)/$(BUILD)/libpetscgnn.so
run-plugin: build
	@mkdir -p output $(BUILD)/plugin
	mpicc -O2 -o $(BUILD)/plugin/ex5 $(ADR)/ex5.c $(ADR)/reaction_diffusion.c -I$(ADR) $$(pkg-config --cflags --libs PETSc) -lm
	@echo "== 1. the solver (RK4) runs and trains the GNN in situ (-ts_trajectory_type gnn)"
	$(MPIEXEC) -n $(NP) $(BUILD)/plugin/ex5 $(PLUGIN_RUN) -ts_save_trajectory -ts_trajectory_type gnn \
	  -gnn_ts_train_per_sample 10 -gnn_train_lr 3e-3 -gnn_train_monitor_every 50 \
	  -gnn_train_history output/plugin_history.csv -gnn_save_weights output/plugin_weights.pt -gnn_graph_view -gnn_ts_view \
	  -ts_monitor_solution binary:output/plugin_solver.bin
	@echo "== 2. the same program with the GNN instead of the solver (-ts_type gnn)"
	$(MPIEXEC) -n $(NP) $(BUILD)/plugin/ex5 $(PLUGIN_RUN) -ts_type gnn -gnn_load_weights output/plugin_weights.pt \
	  -ts_view -ts_monitor_solution binary:output/plugin_surrogate.bin
	@echo "== 3. hybrid: the solver every 5th step, the GNN in between"
	$(MPIEXEC) -n $(NP) $(BUILD)/plugin/ex5 $(PLUGIN_RUN) -ts_type gnn -gnn_load_weights output/plugin_weights.pt \
	  -gnn_ts_hybrid_every 5 -ts_monitor_solution binary:output/plugin_hybrid.bin
	/usr/bin/python3 -c "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt, numpy as np; \
	  h = np.loadtxt('output/plugin_history.csv', delimiter=',', skiprows=1); plt.semilogy(h[:, 0], h[:, 1]); \
	  plt.xlabel('optimiser step (in situ, interleaved with the unmodified ex5)'); plt.ylabel('training loss'); \
	  plt.title('-ts_trajectory_type gnn on PETSc ts/tutorials ex5'); plt.grid(True, alpha=0.3); plt.savefig('output/plugin_loss.png', dpi=120)"
	/usr/bin/python3 share/scripts/compare_surrogate.py output/plugin_solver.bin --every 2 surrogate=output/plugin_surrogate.bin \
	  hybrid=output/plugin_hybrid.bin --png output/plugin_surrogate.png --grid 48,48 --dof 2 \
	  --title "PETSc ts/tutorials ex5 (Gray-Scott, u), unmodified: RK4 vs -ts_type gnn (one GNN step = 2 RK4 steps)"
	@rm -f output/plugin_*.bin output/plugin_*.bin.info
	mpicc -O2 -o $(BUILD)/plugin/ex46 $(PETSC_TS_TUTORIALS)/ex46.c $$(pkg-config --cflags --libs PETSc) -lm
	@echo "== 4. a flow case, ts/tutorials/ex46 (Navier-Stokes, Q2-Q1 on a DMPlex): training on the velocity, then"
	@echo "   the surrogate from the weights file alone (its metadata: k, field, dt, architecture); ex46's own"
	@echo "   monitor prints the L2 error [velocity, pressure] against the exact solution at t = 0.5"
	$(MPIEXEC) -n $(NP) $(BUILD)/plugin/ex46 $(FLOW_RUN) -ts_save_trajectory -ts_trajectory_type gnn -gnn_ts_field 0 \
	  -gnn_ts_every 2 -gnn_ts_train_per_sample 20 -gnn_hidden 16 -gnn_layers 2 -gnn_layer_norm 0 -gnn_residual \
	  -gnn_train_normalize -gnn_train_lr 1e-3 -gnn_save_weights output/plugin_ex46_weights.pt -gnn_ts_view >output/plugin_ex46_solver.txt
	$(MPIEXEC) -n $(NP) $(BUILD)/plugin/ex46 $(FLOW_RUN) -ts_type gnn -gnn_load_weights output/plugin_ex46_weights.pt \
	  -ts_view >output/plugin_ex46_surrogate.txt
	@echo "solver:    $$(grep '^Timestep: 0020' output/plugin_ex46_solver.txt)"
	@echo "surrogate: $$(grep '^Timestep: 0020' output/plugin_ex46_surrogate.txt)"
	@echo "(persistence, the initial velocity kept: L2 error 0.625)"
	@echo "Results in output/: plugin_history.csv, plugin_weights.pt, plugin_loss.png, plugin_surrogate.png, plugin_ex46_*"

test: build
	cd $(BUILD) && ctest --output-on-failure --timeout 600

# AddressSanitizer + UndefinedBehaviorSanitizer (not part of test): a build of its own in
# build-asan/ (RelWithDebInfo with -fsanitize=address,undefined) and a subset of the tests: the
# GoogleTest programs test_graph, test_training and test_nekrs at 1 and 2 ranks, and the errors and
# checkpoint scripts (bad options, crafted files, failed writes). Leak checking is off (OpenMPI and
# PETSc keep memory to the end by design).
# ASAN_TESTS (a CTest regex) and ASAN_TARGETS choose other tests.
ASAN_BUILD   ?= build-asan
ASAN_FLAGS   := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ASAN_TARGETS ?= test_graph test_training test_nekrs ex1 ex2 ex3 ex4
ASAN_TESTS   ?= ^(test_graph|test_training|test_nekrs)_np[12]$$|^errors$$|^checkpoint_resume$$
test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS="$(ASAN_FLAGS)" \
	  -DCMAKE_CXX_FLAGS="$(ASAN_FLAGS)" -DCMAKE_EXE_LINKER_FLAGS="$(ASAN_FLAGS)" -DCMAKE_SHARED_LINKER_FLAGS="$(ASAN_FLAGS)"
	cmake --build $(ASAN_BUILD) -j $(JOBS) --target $(ASAN_TARGETS)
	@# every sanitizer report ends the process (halt_on_error, -fno-sanitize-recover): the GoogleTest
	@# programs then fail; the scripts fail unless the report came after the PETSc error they expect
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure --timeout 1200 -R '$(ASAN_TESTS)'

# Fuzzing (not part of test): a libFuzzer target per file reader (weights, checkpoint, natural-order
# data files, NekRS files, the Gmsh check) against a build of the library with Debian's clang,
# coverage (-fsanitize=fuzzer-no-link) and ASan+UBSan in build-fuzz/lib, seeded with real files
# (examples 1 and 2 of $(BUILD) write them), FUZZ_SECONDS each (fuzz/run.sh; results in build-fuzz/)
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= weights checkpoint natural nekrs gmsh
fuzz: build
	@command -v clang++ >/dev/null || { \
	  if [ "$$(id -u)" != 0 ]; then echo "Run as root (apt-get) or install: clang"; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang; }
	cmake --build $(BUILD) -j $(JOBS) --target ex1 ex2
	fuzz/run.sh $(BUILD) . build-fuzz $(FUZZ_SECONDS) "$(FUZZ_TARGETS)"

clean:
	rm -rf $(BUILD)

# Benchmarks (not part of test): training step against the PyTorch reference, memory, phases,
# strong/weak scaling, halo bytes, the scaling model, the consistency study and the scale section
# (per-rank memory by phase, set-up time); writes docs/benchmarks.md, docs/bench_*.png and
# docs/benchmarks.json (about 15 minutes on 2 cores; bench/run_bench.py --only scale: 8 of them)
bench: build
	/usr/bin/python3 bench/run_bench.py --build $(BUILD) --docs docs

# A relocatable bundle of PETSc, OpenMPI (mpiexec), HDF5 and GoogleTest, for building and running
# on a machine that has a compiler, CMake and LibTorch but none of these: gpu-bundle/bundle.tar.xz
# (unpack anywhere, source env.sh, cmake -C bundle.cmake). See share/gpu/make-bundle.sh.
gpu-bundle: deps
	@missing=""; for p in libblas3 liblapack3 patchelf xz-utils googletest; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "Run as root (apt-get) or install:$$missing"; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	bash share/gpu/make-bundle.sh gpu-bundle
