#!/usr/bin/env bash
# Builds every sample under samples/<name>/ with mingw-w64 into samples/build/{x86,x64}/: <name>.sys from
# <name>.c, and from <name>_client.c both <name>_client.exe (mingw-w64's default C runtime, msvcrt.dll) and
# <name>_client_ucrt.exe (the same program linked against the UCRT, so it imports the api-ms-win-crt-* sets as
# MSVC-built programs do). Rebuilds only what changed. An optional samples/<name>/ldflags holds extra
# whitespace-separated flags for the driver's link line (e.g. -Wl,--forceinteg).
# A sample directory holding a file named kmdf is a KMDF driver: it is compiled against kdemu's own KMDF header
# (samples/include/kmdf), together with the KMDF stub (FxDriverEntry, the entry point, binds to the framework and
# calls the driver's DriverEntry), and linked with wdfldr.sys's import library, built per architecture from the .def
# files there into samples/build/<arch>/libwdfldr.a.
set -euo pipefail
cd "$(dirname "$0")/.."
quiet=0
[ "${1:-}" = "--quiet" ] && quiet=1
ddk=/usr/share/mingw-w64/include/ddk
warn=(-Wall -Wno-unused-variable -Wno-unused-but-set-variable -Wno-unused-parameter -Wno-format)
# gcc's own specs with the UCRT in place of msvcrt: mingw-w64 ships the UCRT import library (libucrt.a).
ucrt_specs() { # cc -> path of a specs file
  local f="samples/build/.specs-ucrt-$1"
  if [ ! -f "$f" ]; then
    mkdir -p samples/build
    "$1" -dumpspecs | sed 's/-lmsvcrt/-lucrt/g' > "$f.tmp" && mv "$f.tmp" "$f"
  fi
  echo "$f"
}
kmdf=samples/include/kmdf
wdfldr_lib() { # arch -> builds samples/build/<arch>/libwdfldr.a when missing or older than its .def
  local arch=$1 def tool lib="samples/build/$1/libwdfldr.a" k=()
  if [ "$arch" = x64 ]; then def=$kmdf/wdfldr.def; tool=x86_64-w64-mingw32-dlltool; else def=$kmdf/wdfldr-x86.def; tool=i686-w64-mingw32-dlltool; k=(-k); fi
  [ -f "$lib" ] && [ "$lib" -nt "$def" ] && return 0
  mkdir -p "$(dirname "$lib")"
  "$tool" -d "$def" -l "$lib.tmp" -D wdfldr.sys ${k[@]+"${k[@]}"} && mv "$lib.tmp" "$lib"
}
build() { # arch src out kind [ldflags-file]
  local arch=$1 src=$2 out=$3 kind=$4 flags=${5:-} cc entry extra=()
  if [ "$arch" = x64 ]; then cc=x86_64-w64-mingw32-gcc; entry=DriverEntry; else cc=i686-w64-mingw32-gcc; entry=_DriverEntry@8; fi
  [ "$kind" = kmdf-driver ] && wdfldr_lib "$arch"
  [ -f "$out" ] && [ "$out" -nt "$src" ] && { [ -z "$flags" ] || [ "$out" -nt "$flags" ]; } &&
    { [ "$kind" != kmdf-driver ] || { [ "$out" -nt "$kmdf/wdf.h" ] && [ "$out" -nt "$kmdf/stub.c" ] && [ "$out" -nt "samples/build/$arch/libwdfldr.a" ]; }; } && return 0
  [ -n "$flags" ] && { read -r -d '' -a extra < "$flags" || true; }
  [ "$quiet" = 1 ] || echo "samples: $out"
  mkdir -p "$(dirname "$out")"
  if [ "$kind" = kmdf-driver ]; then
    if [ "$arch" = x64 ]; then entry=FxDriverEntry; else entry=_FxDriverEntry@8; fi
    "$cc" -O2 "${warn[@]}" -I"$ddk" -I"$kmdf" -shared -nostdlib -Wl,--subsystem,native -Wl,--dynamicbase -Wl,--entry,"$entry" -o "$out" "$src" "$kmdf/stub.c" -L"samples/build/$arch" -lwdfldr -lntoskrnl -lhal ${extra[@]+"${extra[@]}"}
  elif [ "$kind" = driver ]; then
    "$cc" -O2 "${warn[@]}" -I"$ddk" -shared -nostdlib -Wl,--subsystem,native -Wl,--dynamicbase -Wl,--entry,"$entry" -o "$out" "$src" -lntoskrnl -lhal ${extra[@]+"${extra[@]}"}
  elif [ "$kind" = client-ucrt ]; then
    "$cc" -specs="$(ucrt_specs "$cc")" -O2 "${warn[@]}" -o "$out" "$src"
  else
    "$cc" -O2 "${warn[@]}" -o "$out" "$src"
  fi
}
for dir in samples/*/; do
  name=$(basename "$dir")
  [ "$name" = build ] && continue
  [ "$name" = include ] && continue  # headers and stubs shared by samples, not a sample
  ldflags=""
  [ -f "$dir/ldflags" ] && ldflags="$dir/ldflags"
  kind=driver
  [ -f "$dir/kmdf" ] && kind=kmdf-driver
  for arch in x86 x64; do
    if [ -f "$dir/$name.c" ]; then build "$arch" "$dir/$name.c" "samples/build/$arch/$name.sys" "$kind" "$ldflags"; fi
    # A sample without a client program (threadbench) is a driver alone.
    if [ -f "$dir/${name}_client.c" ]; then
      build "$arch" "$dir/${name}_client.c" "samples/build/$arch/${name}_client.exe" client
      build "$arch" "$dir/${name}_client.c" "samples/build/$arch/${name}_client_ucrt.exe" client-ucrt
    fi
  done
done
