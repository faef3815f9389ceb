#!/usr/bin/env bash
# The main job (`npm run main`): build the CLI, build the test wasm from source, validate and
# describe it, run guests in the sandbox, then take examples/ through the pipeline (transpile ->
# validate -> test -> package) into signed packages and verify each. Fails on the first
# unexpected result.
set -euo pipefail
cd "$(dirname "$0")/.."
portalis() { node packages/cli/dist/bin.js "$@"; }

npx nx run @portalis/cli:build
npm run fixtures
portalis validate-wasm fixtures/build/*.wasm
portalis wasm-info fixtures/build/calc.wasm
portalis wasm-info fixtures/build/wasi-component.component.wasm

echo '== run-wasm: a WASI command with args, an env grant and stdin'
echo 'piped into the guest' | APP_STAGE=demo portalis run-wasm fixtures/build/guest-echo.wasm --env-allow 'APP_*' -- first second
echo '== run-wasm: a numeric export, and a JSON plugin call'
portalis run-wasm --invoke add fixtures/build/calc.wasm 40 2
portalis run-wasm fixtures/build/plugin.wasm --invoke analyze --json-call '{"text": "hello", "tags": ["a", "b"]}'
echo '== run-wasm: an endless loop stopped by fuel (exit 134 expected)'
status=0
portalis run-wasm --fuel 5000000 fixtures/build/guest-loop.wasm || status=$?
test "$status" -eq 134

echo '== pipeline: examples/ through transpile -> validate -> test -> package (signed)'
portalis pipeline examples --out dist/packages
# Without --key the pipeline signs with the local development key; pin its public key here.
devkey="${PORTALIS_DEV_KEY_DIR:-${XDG_CONFIG_HOME:-$HOME/.config}/portalis}/dev.pub"
for dir in dist/packages/*/; do
  portalis package verify "$dir" --pubkey "$devkey"
done
echo "signed packages: $(pwd)/dist/packages"
