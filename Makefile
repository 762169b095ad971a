# SPDX-License-Identifier: GPL-2.0
#
# One Makefile for the kernel, the BPF programs, the library, the tools and
# the selftests.  `make help` lists the targets.

SHELL := /bin/bash
.DEFAULT_GOAL := help

ROOT := $(CURDIR)
BUILD := $(ROOT)/build
KTREE := $(BUILD)/linux
JOBS ?= $(shell nproc)

# The exact Debian source package we build on; tools/deps falls back to
# the newest 6.12 with a warning when the archive no longer serves it.
KSRC_VERSION ?= 6.12.117-1~deb12u1
export KSRC_VERSION

DEBUG ?= 0
VARIANT := $(if $(filter 1 y yes,$(DEBUG)),debug,stock)
KOBJ = $(KTREE)/obj-$(VARIANT)
BZIMAGE = $(KOBJ)/arch/x86/boot/bzImage

# ccache lives outside the work tree, so a fresh clone still hits it.
# Object directories sit directly inside the source tree, which makes
# Kbuild use relative paths: hits do not depend on where we are cloned.
export CCACHE_DIR ?= $(HOME)/.cache/ccache
export CCACHE_MAXSIZE ?= 20G
export CCACHE_NOHASHDIR := true
export CCACHE_BASEDIR := $(ROOT)
export CCACHE_SLOPPINESS := time_macros,include_file_mtime,include_file_ctime
CCACHE := $(shell command -v ccache 2>/dev/null)

KMAKE = $(MAKE) -C $(KTREE) O=obj-$(1) -j$(JOBS) \
	CC="$(CCACHE) gcc" HOSTCC="$(CCACHE) gcc" \
	KBUILD_BUILD_USER=zc KBUILD_BUILD_HOST=zc \
	KBUILD_BUILD_TIMESTAMP="2026-01-01" KCFLAGS=

KCONFIG_FRAGS_stock := $(ROOT)/kernel/config/base.config
KCONFIG_FRAGS_debug := $(KCONFIG_FRAGS_stock) $(ROOT)/kernel/config/debug.config

TOOLS_OUT := $(BUILD)/tools
HDR := $(BUILD)/headers
LIBBPF_OUT := $(TOOLS_OUT)/libbpf
LIBBPF_A := $(LIBBPF_OUT)/libbpf.a
BPFTOOL := $(TOOLS_OUT)/bpftool/bpftool
ZC_VMLINUX_H := $(BUILD)/vmlinux.h

.PHONY: help deps kernel kernel-debug kernel-prepare kernel-save \
	kernel-sync-check kernel-series checkpatch headers libbpf bpftool \
	bpf-progs lib selftests tools vm demo check check-full bench-tx bench-rx \
	clean distclean

help:
	@echo "make demo          boot our kernel and show its zero-copy paths"
	@echo "make check         build everything and run all selftests on the debug kernel"
	@echo "make check-full    the selftests plus bulk checks on the stock kernel"
	@echo "make bench-tx      send throughput of every mode: build/bench/tx.csv"
	@echo "make bench-rx      zero-copy receive vs recv(), refill policies: build/bench/rx.csv"
	@echo "make deps          install what a fresh Debian 12 machine needs"
	@echo "make kernel [DEBUG=1]   build the (debug) kernel; kernel-debug is DEBUG=1"
	@echo "make kernel-save   save edits made in build/linux into kernel/"
	@echo "make kernel-sync-check  fail if build/linux has edits kernel/ lacks"
	@echo "make kernel-series export the kernel change as a patch series"
	@echo "make checkpatch    run checkpatch.pl --strict over that series"
	@echo "make tools         libbpf, bpftool, headers, BPF programs, libzc, selftests"
	@echo "make vm [DEBUG=1]  interactive shell in the guest"

deps:
	@$(ROOT)/tools/deps

# ---------------------------------------------------------------- kernel

kernel-prepare:
	@$(ROOT)/tools/ktree prepare

kernel: kernel-prepare
	@$(ROOT)/tools/kconfig $(KTREE) obj-$(VARIANT) $(KCONFIG_FRAGS_$(VARIANT))
	+$(call KMAKE,$(VARIANT)) bzImage
	@echo "kernel: $(BZIMAGE) ($(VARIANT), linux-source $$($(ROOT)/tools/ktree version))"

kernel-debug:
	+$(MAKE) kernel DEBUG=1

kernel-save:
	@$(ROOT)/tools/ktree save

kernel-sync-check:
	@$(ROOT)/tools/ktree sync-check

kernel-series:
	@$(ROOT)/tools/ktree series $(BUILD)/kernel-series

# build/linux holds Debian's tarball, not upstream's history, so checkpatch
# cannot look up the ids that Fixes: tags name: skip that check only.
checkpatch: kernel-series
	@cd $(KTREE) && ./scripts/checkpatch.pl --strict \
		--ignore FILE_PATH_CHANGES,UNKNOWN_COMMIT_ID \
		$(BUILD)/kernel-series/*.patch

# ------------------------------------------- headers, libbpf, bpftool

# vmlinux.h comes from the BTF of a kernel we built; CO-RE relocations
# make the BPF objects load on the stock and the debug kernel alike.
BTF_VARIANT ?= $(if $(wildcard $(KTREE)/obj-stock/vmlinux),stock,debug)

headers: kernel-prepare
	@mkdir -p $(HDR)
	+@$(call KMAKE,headers) -s headers_install INSTALL_HDR_PATH=$(HDR)

$(LIBBPF_A): | kernel-prepare
	@mkdir -p $(LIBBPF_OUT)
	+$(MAKE) -s -j$(JOBS) -C $(KTREE)/tools/lib/bpf OUTPUT=$(LIBBPF_OUT)/ \
		CC="$(CCACHE) gcc" BUILD_STATIC_ONLY=1 \
		DESTDIR=$(LIBBPF_OUT) prefix= install_headers $(LIBBPF_A)

libbpf: kernel-prepare $(LIBBPF_A)

# bpftool's own BPF skeletons need BTF: take it from our kernel, not the
# host's.
$(BPFTOOL): | kernel-prepare $(KTREE)/obj-$(BTF_VARIANT)/vmlinux
	@mkdir -p $(TOOLS_OUT)/bpftool
	+$(MAKE) -s -j$(JOBS) -C $(KTREE)/tools/bpf/bpftool OUTPUT=$(TOOLS_OUT)/bpftool/ \
		CC="$(CCACHE) gcc" HOSTCC="$(CCACHE) gcc" CLANG=clang LLVM_STRIP=llvm-strip \
		VMLINUX_BTF=$(KTREE)/obj-$(BTF_VARIANT)/vmlinux

bpftool: kernel-prepare $(BPFTOOL)

$(ZC_VMLINUX_H): $(BPFTOOL) $(KTREE)/obj-$(BTF_VARIANT)/vmlinux
	$(BPFTOOL) btf dump file $(KTREE)/obj-$(BTF_VARIANT)/vmlinux format c > $@.tmp
	@mv $@.tmp $@

$(KTREE)/obj-%/vmlinux:
	@echo "no $@: run 'make kernel' (or DEBUG=1) first" >&2; exit 1

export ROOT BUILD KTREE HDR LIBBPF_OUT LIBBPF_A BPFTOOL ZC_VMLINUX_H CCACHE

bpf-progs: headers libbpf $(ZC_VMLINUX_H)
	+@$(MAKE) -C bpf-progs

lib: headers libbpf
	+@$(MAKE) -C lib

selftests: bpf-progs lib
	+@$(MAKE) -C selftests

tools: bpf-progs lib selftests
	+@$(MAKE) -C tools/src

# ------------------------------------------------------------- running

vm:
	@$(ROOT)/tools/vm --kernel $(BZIMAGE) --interactive

demo:
	@$(ROOT)/tools/phases demo

check:
	@$(ROOT)/tools/phases check

check-full:
	@$(ROOT)/tools/phases check-full

# Send throughput of every mode, side by side, on the stock-config kernel:
# build/bench/tx.csv (proto,size,mode,rps), tx.svg and a ratio table.
# BENCH_TX_ARGS passes options to zc-bench-tx (zc-bench-tx(1)).
bench-tx:
	@$(ROOT)/tools/phases bench-tx

# Zero-copy receive against recv() and RECV_ZC's copy fallback, and the
# refill policies under bursts, on the stock-config kernel:
# build/bench/rx.csv (size,mode,gbps,cpu_ms_per_gb,copied_per_byte),
# rx-burst.csv, rx.svg and the ratio tables and targets.
# BENCH_RX_ARGS passes options to zc-bench-rx (zc-bench-rx(1)).
bench-rx:
	@$(ROOT)/tools/phases bench-rx

clean:
	rm -rf $(BUILD)/bpf $(BUILD)/lib $(BUILD)/selftests $(BUILD)/vm $(TOOLS_OUT) $(HDR) $(ZC_VMLINUX_H)

distclean:
	rm -rf $(BUILD)
