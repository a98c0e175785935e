#!/usr/bin/env bash
# One idempotent set-up for a fresh Debian machine with Node 20: system packages, npm packages, the TypeScript
# build, the Unicorn engine's native hook, and the samples. A second run does nothing and takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
quiet=0
[ "${1:-}" = "--quiet" ] && quiet=1
say() { [ "$quiet" = 1 ] || echo "setup: $*"; }

# 1. Debian packages: mingw-w64 builds the samples (needed); libunicorn2 and gcc (for its hook) give the optional
#    Unicorn engine, the reference the wasm core is tested against. As root everything is installed; otherwise a
#    missing Unicorn only means --engine unicorn and the tests comparing against it are skipped.
has_unicorn() { ldconfig -p 2>/dev/null | grep -q 'libunicorn\.so\.2' || [ -e /usr/lib/x86_64-linux-gnu/libunicorn.so.2 ]; }
required=()
optional=()
command -v x86_64-w64-mingw32-gcc >/dev/null && command -v i686-w64-mingw32-gcc >/dev/null || required+=(mingw-w64)
has_unicorn || optional+=(libunicorn2)
command -v gcc >/dev/null || optional+=(gcc)
# clang, lld-link and llvm-dlltool build the test drivers with the Microsoft compiler ABI (SEH, /GS, CFG).
command -v clang >/dev/null || optional+=(clang)
command -v lld-link >/dev/null || optional+=(lld)
command -v llvm-dlltool >/dev/null || optional+=(llvm)
if [ ${#required[@]} -gt 0 ] || [ ${#optional[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    say "installing ${required[*]} ${optional[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${required[@]}" "${optional[@]}" >/dev/null
  elif [ ${#required[@]} -gt 0 ]; then
    echo "setup: missing Debian packages: ${required[*]}. Install them as root: apt-get install -y ${required[*]} ${optional[*]}" >&2
    exit 1
  else
    echo "setup: ${optional[*]} not installed (apt-get install -y ${optional[*]} as root): without libunicorn2 and gcc the Unicorn engine is unavailable (kdemu runs on its wasm core); without clang, lld and llvm the MSVC-ABI driver tests (test/kernel/seh.test.ts) are skipped" >&2
  fi
fi

# 2. npm packages, when package-lock.json changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

# 3. TypeScript → dist/, when a source changed.
stamp=dist/.build-stamp
if [ ! -f "$stamp" ] || [ -n "$(find emu hal bin bench fuzz lib tsconfig.json package.json -newer "$stamp" -name '*.ts' -o -newer "$stamp" -name '*.json' 2>/dev/null | head -n 1)" ]; then
  say "tsc"
  npx tsc -p tsconfig.json
  touch "$stamp"
fi

# 4. The Unicorn engine's instruction-counting hook.
hook=build/native/libkdemu-uc.so
if has_unicorn && command -v gcc >/dev/null && { [ ! -f "$hook" ] || [ emu/unicorn/counter.c -nt "$hook" ]; }; then
  say "building $hook"
  mkdir -p build/native
  gcc -O2 -shared -fPIC -o "$hook" emu/unicorn/counter.c
fi

# 5. The wasm CPU core: AssemblyScript (emu/wasm/assembly) → build/wasm/core.wasm, when a source or asconfig.json changed.
core=build/wasm/core.wasm
if [ ! -f "$core" ] || [ -n "$(find emu/wasm/assembly asconfig.json -newer "$core" 2>/dev/null | head -n 1)" ]; then
  say "building $core"
  npx asc --config asconfig.json --target release
fi

# 6. Samples.
bash scripts/build-samples.sh $([ "$quiet" = 1 ] && echo --quiet)
