#!/usr/bin/env bash
# Builds the Pulumi engine pieces from the Go module pins under engine/ into engine/bin:
#   pulumi                    the CLI/engine            (engine/cli)
#   pulumi-language-nodejs    the Node.js language host (engine/nodejs-host)
#   pulumi-resource-command   the resource plugin the @pulumi/command SDK talks to (engine/command-provider)
# A stamp of the pins' hash makes a second run take a moment when nothing changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/engine"
mkdir -p bin

if [ "${FLASKSTACK_USE_SYSTEM_PULUMI:-0}" = "1" ]; then
  echo "engine: FLASKSTACK_USE_SYSTEM_PULUMI=1, using $(command -v pulumi || echo 'pulumi (not found!)')"
  exit 0
fi
command -v go >/dev/null || { echo "engine: Go is required to build the Pulumi engine (apt-get install golang, or Go >= 1.26)" >&2; exit 1; }

# Version strings the binaries report; they must match the npm SDKs in package-lock.json.
PULUMI_VERSION="v3.259.0"

stamp_of() { # hash of everything that decides a build
  (cd "$root" && find "engine/$1" -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print0 | sort -z | xargs -0 sha256sum; \
   sha256sum scripts/build-engine.sh; go version) | sha256sum | cut -c1-16
}

build() { # build <dir> <binary> <package> [ldflags]
  local dir=$1 bin=$2 pkg=$3 ldflags=${4:-}
  local stamp; stamp=$(stamp_of "$dir")
  if [ -x "bin/$bin" ] && [ "$(cat "bin/.stamp-$bin" 2>/dev/null)" = "$stamp" ]; then
    echo "engine: $bin up to date ($stamp)"
    return
  fi
  echo "engine: building $bin from engine/$dir (first build takes several minutes)…"
  local start=$SECONDS
  ( cd "$dir" && go build -trimpath -ldflags "-s -w $ldflags" -o "../bin/$bin.tmp" "$pkg" ) &
  local pid=$!
  local next=30
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if [ $((SECONDS - start)) -ge $next ] && kill -0 "$pid" 2>/dev/null; then
      echo "engine:   … still building $bin ($((SECONDS - start)) s)"
      next=$((next + 30))
    fi
  done
  wait "$pid"
  mv "bin/$bin.tmp" "bin/$bin"
  echo "$stamp" > "bin/.stamp-$bin"
  echo "engine: built $bin in $((SECONDS - start)) s"
}

build cli pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
  "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"
build nodejs-host pulumi-language-nodejs github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
  "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"
build command-provider pulumi-resource-command .

# Dynamic providers written in Node.js run in a resource plugin the Pulumi CLI distribution carries
# beside its binary as a small script: it starts the @pulumi/pulumi SDK's dynamic-provider host
# from the program's own node_modules. The same here, beside the binaries built above.
cat > bin/pulumi-resource-pulumi-nodejs <<'PLUGIN'
#!/bin/sh
host=$(node -e 'process.stdout.write(require.resolve("@pulumi/pulumi/cmd/dynamic-provider"))') || exit 1
exec node "$host" "$@"
PLUGIN
chmod 0755 bin/pulumi-resource-pulumi-nodejs

# The resource plugin goes into the plugin cache under PULUMI_HOME, where the engine looks for the
# exact version the @pulumi/command SDK asks for (scripts/env.sh turns off ambient PATH plugins).
# The official plugin (what Pulumi downloads for users) is used whenever a binary of it is here:
#   FLASKSTACK_COMMAND_PLUGIN=<path>, else ../shared/plugins/command-1.2.1/ beside the checkout.
# Without one, the stand-in built from engine/command-provider is used. The stand-in always goes into
# a second plugin home too ($FLASKSTACK_STANDIN_HOME), for the conformance test of the two.
source "$root/scripts/env.sh"
install_plugin() { # install_plugin <home> <binary> <label> [name version]
  local home=$1 binary=$2 label=$3 name=${4:-command} version=${5:-1.2.1} stamp
  stamp="$label $(sha256sum "$binary" | cut -c1-64)"
  if [ "$(cat "$home/.flaskstack-$name-plugin" 2>/dev/null)" != "$stamp" ]; then
    PULUMI_HOME="$home" bin/pulumi plugin install resource "$name" "$version" --file "$binary" --reinstall
    echo "$stamp" > "$home/.flaskstack-$name-plugin"
  fi
}
official="${FLASKSTACK_COMMAND_PLUGIN:-$(realpath -m "$root/../shared/plugins/command-1.2.1/pulumi-resource-command")}"
# FLASKSTACK_COMMAND_PLUGIN=stand-in runs everything on the stand-in, e.g. to run the whole suite on it.
forced=""
if [ "$official" = stand-in ]; then
  official=/nonexistent forced=" (FLASKSTACK_COMMAND_PLUGIN=stand-in)"
elif [ -n "${FLASKSTACK_COMMAND_PLUGIN:-}" ] && [ ! -x "$official" ]; then
  echo "engine: FLASKSTACK_COMMAND_PLUGIN=$official is not an executable file" >&2
  exit 1
fi
if [ -x "$official" ]; then
  install_plugin "$PULUMI_HOME" "$official" official
  echo "engine: resource plugin command 1.2.1: the official plugin ($official)"
else
  install_plugin "$PULUMI_HOME" bin/pulumi-resource-command stand-in
  echo "engine: resource plugin command 1.2.1: flaskstack's stand-in${forced:- (no official plugin binary found at $official)}"
fi
install_plugin "$FLASKSTACK_STANDIN_HOME" bin/pulumi-resource-command stand-in

# The official docker plugin, for LocalSandbox (the stack's own local host). It cannot be built here;
# without a binary the demo starts its host with the test harness instead.
docker_plugin="${FLASKSTACK_DOCKER_PLUGIN:-$(realpath -m "$root/../shared/plugins/docker-5.0.0/pulumi-resource-docker")}"
if [ -x "$docker_plugin" ]; then
  install_plugin "$PULUMI_HOME" "$docker_plugin" official docker 5.0.0
  install_plugin "$FLASKSTACK_STANDIN_HOME" "$docker_plugin" official docker 5.0.0
  echo "engine: resource plugin docker 5.0.0: the official plugin ($docker_plugin)"
else
  rm -f "$PULUMI_HOME/.flaskstack-docker-plugin" "$FLASKSTACK_STANDIN_HOME/.flaskstack-docker-plugin"
  echo "engine: no docker plugin binary at $docker_plugin: LocalSandbox is not available"
fi
echo "engine: pulumi $(bin/pulumi version) ready in engine/bin (plugins in $PULUMI_HOME)"
