#!/usr/bin/env bash
# README's notebook steps for the docker image and the devcontainer: pack the extension into
# artifacts/feed (notebooks add that folder with #i) and write the `lora-csharp` Jupyter kernel.
# Usage: docker/setup.sh [cpu|cuda]   (the TorchSharp backend, Directory.Build.props' TorchBackend; default cpu)
set -euo pipefail
cd "$(dirname "$0")/.."

backend="${1:-cpu}"
case "$backend" in
  cpu|cuda) ;;
  *) echo "setup: the backend is cpu or cuda, not '$backend'" >&2; exit 1 ;;
esac

# LoraNotebooks.Kernel.<Version>.nupkg with Dsl and Engine inside; its TorchSharp dependency is
# restored into ~/.nuget/packages now, so the kernel finds it there later without a network.
dotnet pack src/Kernel -c Release -o artifacts/feed -p:TorchBackend="$backend" --nologo
# The kernelspec: dotnet-interactive by absolute path, HTTP on loopback only, interrupts as SIGINT.
dotnet run --project src/Cli -c Release --property:TorchBackend="$backend" -- jupyter install

# Fail here rather than in a learner's first notebook.
if ! jupyter kernelspec list | grep -qw lora-csharp; then
  echo "setup: jupyter does not list the lora-csharp kernel" >&2
  exit 1
fi
echo "setup: kernel lora-csharp ready ($backend)"
