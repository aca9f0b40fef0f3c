#!/usr/bin/env bash
# Installs the ONNX Runtime shared library into a project-local cache.
#
# The library comes from the onnxruntime-node npm package, which carries
# libonnxruntime.so.1 for linux-x64. Both the package tarball (npm integrity)
# and the extracted library (sha256) are verified before the library is used.
set -euo pipefail

ORT_VERSION=1.24.3
TARBALL_SHA512=JH7+czbc8ALA819vlTgcV+Q214/+VjGeBHDjX81+ZCD0PCVCIFGFNtT0V4sXG/1JXypKPgScQcB3ij/hk3YnTg==
LIB_SHA256=92ba8e44d31b80a34f5e805076a044122c3be1fffe0d88ed790de7267b0b2682

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.cache/onnxruntime/$ORT_VERSION"
lib="$dest/libonnxruntime.so.1"

verify_lib() {
  [ -f "$lib" ] && echo "$LIB_SHA256  $lib" | sha256sum --check --status
}

if verify_lib; then
  ln -sfn "$ORT_VERSION" "$root/.cache/onnxruntime/current"
  echo "onnxruntime $ORT_VERSION: $lib (verified)"
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "install-ort: only linux-x64 is packaged here; set JIEDA_ORT_LIB to your libonnxruntime" >&2; exit 1 ;;
esac
command -v npm >/dev/null || { echo "install-ort: npm is required (apt-get install npm)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "onnxruntime-node@$ORT_VERSION" >/dev/null 2>&1) || {
  echo "install-ort: npm pack onnxruntime-node@$ORT_VERSION failed (is the npm registry reachable?)" >&2; exit 1; }
tgz="$work/onnxruntime-node-$ORT_VERSION.tgz"
got=$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)
if [ "$got" != "$TARBALL_SHA512" ]; then
  echo "install-ort: tarball integrity mismatch: got sha512-$got" >&2; exit 1
fi
tar -xzf "$tgz" -C "$work" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
mkdir -p "$dest"
install -m 0644 "$work/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$lib.tmp"
mv "$lib.tmp" "$lib"
verify_lib || { echo "install-ort: library checksum mismatch for $lib" >&2; rm -f "$lib"; exit 1; }
ln -sfn "$ORT_VERSION" "$root/.cache/onnxruntime/current"
echo "onnxruntime $ORT_VERSION: installed $lib"
