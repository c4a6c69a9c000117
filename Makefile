# edge_dla: fuzzing and sanitizer runs (docs/fuzzing.md). Building and testing the
# package itself is `pip install -e .` and tools/test.sh; the firmware has its own
# Makefile (make -C firmware).
#
#   make test-asan     the native test tiers (golden, blob loader, mutation, ops, bad
#                      input) against an ASan/UBSan build of the cffi module, built in
#                      build/asan/pkg: the in-tree module is left alone
#   make fuzz-short    every harness for FUZZ_SECONDS (60) under ASan/UBSan: CI
#   make fuzz-long     the same for LONG_SECONDS (3600) each, with the large seeds: release
#   make fuzz-build    the libFuzzer binaries only;  make fuzz-seeds  the seed corpora only
#   make fuzz-replay   rerun every saved crash/timeout input (after a fix)
#   make clean-fuzz    remove build/asan and build/fuzz
#
# Needs clang with libFuzzer (Debian: apt-get install -y clang) and gcc's libasan
# (the cffi module is built by the Python's compiler, gcc). Findings stop the run with
# exit status 1; the input is saved under build/fuzz/artifacts/<harness>/.

PY ?= .venv/bin/python
CLANG ?= clang
BUILD ?= build
FUZZ_SECONDS ?= 60
LONG_SECONDS ?= 3600
# extra libFuzzer flags: for every harness, and for the C harnesses only (-fork=N, -jobs=N:
# libFuzzer re-executes argv[0], which for atheris is a script, not a fuzzer)
FUZZ_FLAGS ?=
LIBFUZZER_FLAGS ?=

ASAN_PKG := $(BUILD)/asan/pkg
FUZZ := $(BUILD)/fuzz
SEEDS := $(FUZZ)/seeds

SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=c99 -g -O1 -Wall -Wextra $(SAN) -fsanitize=fuzzer
CORE_SRC = $(wildcard native/src/*.c)
CORE_HDR = $(wildcard native/include/*.h native/src/*.h)

# The python binary is not instrumented, so the ASan runtime must be loaded first.
# PYTHONMALLOC=malloc routes every Python allocation (cffi buffers included) through
# ASan's allocator; leaks are Python's business, not the core's (which never allocates).
# PYTHONSAFEPATH=1 (Python 3.11's -P, inherited by subprocesses) keeps the cwd off
# sys.path, so `edge_dla` resolves to the sanitized copy on PYTHONPATH, not the source tree.
SAN_OPTIONS = ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:alloc_dealloc_mismatch=0:quarantine_size_mb=64 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 PYTHONMALLOC=malloc PYTHONSAFEPATH=1
# test-asan: the module built by gcc (Python's compiler) against gcc's libasan.
LIBASAN = $(shell gcc -print-file-name=libasan.so)
ASAN_ENV = LD_PRELOAD=$(LIBASAN) PYTHONPATH=$(abspath $(ASAN_PKG)) $(SAN_OPTIONS)
# atheris: the module built by clang with -fsanitize=fuzzer-no-link too (its branches
# guide the fuzzer), against atheris's ASan+libFuzzer runtime. gcc's libasan would
# shadow atheris's coverage hooks (atheris' using_sanitizers.md).
ATHERIS_PKG := $(BUILD)/asan/fuzzpkg
ATHERIS_RT = $(shell $(PY) -c "import atheris; print(atheris.path())")/asan_with_fuzzer.so
ATHERIS_ENV = LD_PRELOAD=$(ATHERIS_RT) PYTHONPATH=$(abspath $(ATHERIS_PKG)) $(SAN_OPTIONS)
# The native tiers: smoke, requantization, golden, every op family against TFLM, every
# host kernel path, the blob loader, exhaustive mutation, bad input and the bad corpus.
ASAN_TESTS = tests/test_native_smoke.py tests/test_requant.py tests/test_golden.py \
    $(wildcard tests/test_ops_*.py) tests/test_isa_paths.py tests/test_blob_loader.py \
    tests/test_blob_mutation.py tests/test_bad_input.py tests/test_bad_corpus.py

# $(call sanitized_package,dir,build env,run env): a copy of the Python package with the cffi
# module built by native/build_ffi.py under EDLA_SANITIZE=1, then a check that it is what imports.
define sanitized_package
	rm -rf $(1) $(1).tmp && mkdir -p $(1)
	cp -r edge_dla $(1)/
	find $(1) \( -name '*.so' -o -name __pycache__ \) -prune -exec rm -rf {} +
	$(2) EDLA_SANITIZE=1 $(PY) setup.py -q build_ext --force --build-lib $(1) --build-temp $(1).tmp
	$(3) $(PY) -c "import edge_dla._edla_native as m; \
	    assert m.__file__.startswith('$(abspath $(1))'), m.__file__; print('sanitized module:', m.__file__)"
endef

.PHONY: test-asan asan-module atheris-module fuzz-build fuzz-seeds fuzz-short fuzz-long fuzz-replay clean-fuzz

# ---- sanitizer build of the cffi module and the native test tiers ----------------------

asan-module:
	$(call sanitized_package,$(ASAN_PKG),,$(ASAN_ENV))

atheris-module:
	$(call sanitized_package,$(ATHERIS_PKG),CC=$(CLANG) LDSHARED="$(CLANG) -shared" \
	    CFLAGS=-fsanitize=fuzzer-no-link,$(ATHERIS_ENV))

test-asan: asan-module
	$(ASAN_ENV) $(PY) -m pytest -q -p no:cacheprovider $(ASAN_TESTS)

# ---- fuzzing ---------------------------------------------------------------------

$(FUZZ)/fuzz_blob_loader: fuzz/fuzz_blob_loader.c $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -Inative/include -Inative/src -o $@ fuzz/fuzz_blob_loader.c $(CORE_SRC)

$(FUZZ)/fuzz_frame: fuzz/fuzz_frame.c firmware/src/frame.c firmware/src/frame.h native/src/crc32.c
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -Inative/include -Ifirmware/src -o $@ fuzz/fuzz_frame.c \
	    firmware/src/frame.c native/src/crc32.c

fuzz-build: $(FUZZ)/fuzz_blob_loader $(FUZZ)/fuzz_frame

fuzz-seeds: atheris-module
	$(ATHERIS_ENV) $(PY) fuzz/make_seeds.py $(SEEDS)

# $(call libfuzzer,harness,seconds,seed dirs,extra flags): run, keep the log, stop on a finding.
define libfuzzer
	@mkdir -p $(FUZZ)/corpus/$(1) $(FUZZ)/artifacts/$(1)
	@echo "fuzz $(1): $(2) s"
	@$(FUZZ)/$(1) -max_total_time=$(2) -print_final_stats=1 -timeout=30 -rss_limit_mb=4096 \
	    -artifact_prefix=$(FUZZ)/artifacts/$(1)/ $(4) $(FUZZ_FLAGS) $(LIBFUZZER_FLAGS) $(FUZZ)/corpus/$(1) $(3) \
	    > $(FUZZ)/$(1).log 2>&1 || { tail -n 60 $(FUZZ)/$(1).log; echo "FINDING in $(1): see $(FUZZ)/artifacts/$(1)/"; exit 1; }
	@grep -h "stat::number_of_executed_units\|stat::new_units_added" $(FUZZ)/$(1).log | sed 's/^/  /'
endef

# The atheris harness: the converter (Python, coverage-instrumented) plus the ASan/UBSan
# C core behind it. Its own corpus directory keeps what it learnt between runs.
define atheris
	@mkdir -p $(FUZZ)/corpus/convert $(FUZZ)/artifacts/convert
	@echo "fuzz convert (atheris): $(1) s"
	@$(ATHERIS_ENV) $(PY) fuzz/fuzz_convert.py -max_total_time=$(1) -print_final_stats=1 -timeout=120 -detect_leaks=0 \
	    -rss_limit_mb=8192 -artifact_prefix=$(FUZZ)/artifacts/convert/ $(2) $(FUZZ_FLAGS) \
	    $(FUZZ)/corpus/convert $(SEEDS)/tflite \
	    > $(FUZZ)/convert.log 2>&1 || { tail -n 60 $(FUZZ)/convert.log; echo "FINDING in convert: see $(FUZZ)/artifacts/convert/"; exit 1; }
	@grep -h "stat::number_of_executed_units\|stat::new_units_added" $(FUZZ)/convert.log | sed 's/^/  /'
endef

# Short run: the blob fuzzer starts from the small seed blobs (hello_world, the corpus'
# base models, all ops, the zoo nets) with inputs up to 20 KiB: many times the executions
# the big models allow.
fuzz-short: fuzz-build fuzz-seeds
	$(call libfuzzer,fuzz_frame,$(FUZZ_SECONDS),$(SEEDS)/frame,)
	$(call libfuzzer,fuzz_blob_loader,$(FUZZ_SECONDS),$(SEEDS)/blob_small,-max_len=20480)
	$(call atheris,$(FUZZ_SECONDS),-max_len=65536)

fuzz-long: fuzz-build fuzz-seeds
	$(call libfuzzer,fuzz_frame,$(LONG_SECONDS),$(SEEDS)/frame,)
	$(call libfuzzer,fuzz_blob_loader,$(LONG_SECONDS),$(SEEDS)/blob_small $(SEEDS)/blob,)
	$(call atheris,$(LONG_SECONDS),)

fuzz-replay: fuzz-build atheris-module
	@set -e; for f in $(wildcard $(FUZZ)/artifacts/fuzz_frame/*); do $(FUZZ)/fuzz_frame $$f; done; \
	for f in $(wildcard $(FUZZ)/artifacts/fuzz_blob_loader/*); do $(FUZZ)/fuzz_blob_loader $$f; done; \
	for f in $(wildcard $(FUZZ)/artifacts/convert/*); do $(ATHERIS_ENV) $(PY) fuzz/fuzz_convert.py $$f; done

clean-fuzz:
	rm -rf $(BUILD)/asan $(FUZZ)
