#!/usr/bin/env bash
# The Docker image's build stage without a Docker engine: copy exactly the files the
# Dockerfile's COPY lines name (from the build context) into an empty directory and run the
# same cargo command there. A file the build needs but no COPY names fails here, as it
# would in `docker build`. The target directory is shared with the checkout's, so only
# pacts itself is compiled again (dependencies are the same crates at the same versions).
# Run after `cargo build --release` (CI does).
#   tests/deploy/context_build.sh
set -euo pipefail
root=$(realpath "$(dirname "$0")/../..")
cd "$root"
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
# The build stage: lines up to the second FROM.
stage=$(awk '/^FROM /{n++} n==1' Dockerfile)
copies=$(printf '%s\n' "$stage" | grep -E '^COPY ' | grep -v -- '--from=')
[ -n "$copies" ] || { echo "FAIL: no COPY lines in the build stage"; exit 1; }
while read -r _ args; do
  # shellcheck disable=SC2206
  parts=($args)
  dest=${parts[-1]}
  unset 'parts[-1]'
  for src in "${parts[@]}"; do
    [ -e "$src" ] || { echo "FAIL: COPY names $src, which is not in the context"; exit 1; }
    case "$dest" in
      */|./) mkdir -p "$ctx/$dest"; cp -r "$src" "$ctx/$dest" ;;
      *) mkdir -p "$(dirname "$ctx/$dest")"; cp -r "$src" "$ctx/$dest" ;;
    esac
  done
done <<< "$copies"
cmd=$(printf '%s\n' "$stage" | grep -oE 'cargo build[^&;\\]*' | head -1 | sed 's/ *$//')
[ -n "$cmd" ] || { echo "FAIL: no cargo build in the build stage"; exit 1; }
echo "context: $(cd "$ctx" && find . -type f | wc -l) files from $(printf '%s\n' "$copies" | wc -l) COPY lines; running: $cmd"
(cd "$ctx" && CARGO_TARGET_DIR="$root/target" $cmd)
"$root/target/release/pacts" --version
echo "image context: 1 passed, 0 failed"
