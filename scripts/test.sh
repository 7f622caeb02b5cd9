#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine of the project's kind:
# installs what the tests need, starts the services they talk to (PostgreSQL,
# an S3-compatible server), runs formatting, lints, every test, docs, and a
# short run of every fuzz target. Exits non-zero on the first failure.
#
#   scripts/test.sh            everything
#   FUZZ_SECONDS=0 scripts/test.sh   skip the fuzz runs (targets still build)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=${CALLVAULT_TEST_WORK:-$root/target/test-services}
fuzz_seconds=${FUZZ_SECONDS:-10}
mkdir -p "$work"

step() { printf '\n==> %s\n' "$*"; }

# A clean build of the workspace and its test binaries needs about 5 GB, the
# fuzz targets 1.5 GB more. Incremental caches would double that for nothing
# on a one-shot build, so they are off.
export CARGO_INCREMENTAL=0
free_kb=$(df -Pk "$root" | awk 'NR == 2 {print $4}')
if [ "${free_kb:-0}" -lt $((8 * 1024 * 1024)) ]; then
  printf 'warning: only %s MB free on %s; the build needs about 7 GB\n' "$((free_kb / 1024))" "$root" >&2
fi

step "system packages"
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
pkgs=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || pkgs+=(postgresql)
command -v psql >/dev/null || pkgs+=(postgresql-client)
command -v curl >/dev/null || pkgs+=(curl)
command -v openssl >/dev/null || pkgs+=(openssl)
command -v ffmpeg >/dev/null || pkgs+=(ffmpeg)
python3 -c 'import venv, ensurepip' 2>/dev/null || pkgs+=(python3-venv)
# Passive capture and SIPREC end to end: real SIP user agents (sipp) and a
# second capturer.
command -v sipp >/dev/null || pkgs+=(sip-tester)
command -v tshark >/dev/null || pkgs+=(tshark)
command -v tcpdump >/dev/null || pkgs+=(tcpdump)   # bench capture compares against it
# The web console end to end: Debian's headless Chromium driven through
# chromedriver (WebDriver); no browser is downloaded at test time.
command -v chromium >/dev/null || pkgs+=(chromium)
command -v chromedriver >/dev/null || pkgs+=(chromium-driver)
if [ ${#pkgs[@]} -gt 0 ]; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi

step "S3-compatible server (moto), SMTP server (aiosmtpd), webhook verifier (standardwebhooks)"
# One virtual environment for the Python peers the tests start: moto's S3
# server, aiosmtpd (the e-mail channel's real SMTP server) and the PyPI
# standardwebhooks library (verifies webhook signatures independently of
# callvault's own signing code).
if [ ! -x "$work/venv/bin/moto_server" ] \
  || ! "$work/venv/bin/python" -c 'import aiosmtpd, standardwebhooks' 2>/dev/null; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install -q 'moto[server]' aiosmtpd standardwebhooks
fi
export CV_TEST_PYTHON=$work/venv/bin/python

# PostgreSQL runs as the postgres user, who may not be able to enter the
# clone's directory (a home directory of mode 700): its data lives in /tmp.
pg_dir=$(mktemp -d /tmp/callvault-test-pg.XXXXXX)
s3_port=${CV_TEST_S3_PORT:-55055}
pg_port=${CV_TEST_PG_PORT:-55432}
cleanup() {
  [ -n "${moto_pid:-}" ] && kill "$moto_pid" 2>/dev/null || true
  scripts/postgres.sh stop "$pg_dir" || true
  rm -rf "$pg_dir"
}
trap cleanup EXIT

step "PostgreSQL on port $pg_port"
export CV_TEST_POSTGRES_URL=$(scripts/postgres.sh start "$pg_dir" "$pg_port" off)
psql "$CV_TEST_POSTGRES_URL" -qAtc 'select version()'

step "moto on port $s3_port"
"$work/venv/bin/moto_server" -H 127.0.0.1 -p "$s3_port" >"$work/moto.log" 2>&1 &
moto_pid=$!
export CV_TEST_S3_ENDPOINT=http://127.0.0.1:$s3_port
for _ in $(seq 1 100); do curl -sf "$CV_TEST_S3_ENDPOINT/" >/dev/null && break; sleep 0.2; done
curl -sf "$CV_TEST_S3_ENDPOINT/" >/dev/null || { cat "$work/moto.log"; exit 1; }

step "cargo fmt"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked 2>&1 | tee "$work/cargo-test.log"
passed=$(grep -Eo 'test result: ok\. [0-9]+ passed' "$work/cargo-test.log" | awk '{s += $4} END {print s + 0}')

step "cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet

step "fuzz targets"
if ! command -v cargo-fuzz >/dev/null; then
  cargo install cargo-fuzz --locked --quiet
fi
(
  cd fuzz
  # Stable toolchain: no sanitizer (ASan needs nightly); libFuzzer still
  # finds panics, hangs and out-of-memory.
  cargo fuzz build -s none --release
  if [ "$fuzz_seconds" -gt 0 ]; then
    for target in $(cargo fuzz list); do
      corpus="$work/fuzz-corpus/$target"
      mkdir -p "$corpus"
      seeds=()
      [ -d "seeds/$target" ] && seeds+=("seeds/$target")
      echo "fuzz $target for ${fuzz_seconds}s"
      cargo fuzz run -s none --release "$target" "$corpus" "${seeds[@]}" -- \
        -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -timeout=10 2>&1 | tail -n 2
    done
  fi
)
step "all passed"
# The summary CI reads: every test of the workspace, on one line.
echo "tests: $passed passed, 0 failed"
