#!/bin/sh
# Stands in for the compiler and the linker (as CMake's compiler and linker launcher) so that
# no_rebuild_test.sh sees what Ninja decides to build without building it: writes the output
# named by -o as a program that does nothing, and an empty depfile named by -MF.
out=
dep=
prev=
for arg in "$@"; do
  case $prev in
    -o) out=$arg ;;
    -MF) dep=$arg ;;
  esac
  prev=$arg
done
if [ -n "$out" ]; then
  printf '#!/bin/sh\nexit 0\n' >"$out" && chmod +x "$out"
fi
if [ -n "$dep" ]; then
  printf '%s:\n' "$out" >"$dep"
fi
exit 0
