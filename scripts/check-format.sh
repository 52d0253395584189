#!/usr/bin/env bash
# Fails when a hand-written C file is not formatted with the committed .clang-format.
# (generated/ is emitted by ksmc-gen and kept readable by the emitter itself.)
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' | grep -v '^generated/' | grep -v '\.inc$' || true)
[ -n "$files" ] || exit 0
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files
