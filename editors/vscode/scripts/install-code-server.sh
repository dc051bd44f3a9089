#!/bin/bash
# Installs code-server (the VS Code 1.100.3 workbench and server, the last
# line that runs on Node 20) from the npm registry into DIR, for the UI tests.
# Its own postinstall downloads ripgrep from GitHub, so its steps are done by
# hand here. Idempotent: a finished install is kept and reused.
# usage: install-code-server.sh DIR
set -euo pipefail
DIR=${1:?usage: install-code-server.sh DIR}
CS_VERSION=4.100.3
CS="$DIR/node_modules/.bin/code-server"
if [ -x "$CS" ] && [ -f "$DIR/.complete-$CS_VERSION" ]; then
  exit 0
fi

# Build tools and headers for its native modules, and the ripgrep it ships.
need=()
for p in ripgrep libkrb5-dev libxkbfile-dev libsecret-1-dev g++ make pkg-config; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

export npm_config_nodedir=/usr   # node-gyp: use the installed Node headers, download none
export npm_config_yes=true       # node-pty's post-install runs npx node-gyp
mkdir -p "$DIR"
cd "$DIR"
[ -f package.json ] || echo '{"private":true}' > package.json
npm install --ignore-scripts --no-audit --no-fund "code-server@$CS_VERSION"
npm rebuild argon2
cd node_modules/code-server/lib/vscode
npm install --omit=dev --ignore-scripts --no-audit --no-fund
mkdir -p node_modules/@vscode/ripgrep/bin
cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
npm rebuild kerberos @parcel/watcher @vscode/deviceid @vscode/spdlog native-watchdog node-pty
ln -sfn node_modules node_modules.asar
(cd bin/remote-cli && ln -sfn code-linux.sh code-server)
(cd bin/helpers && ln -sfn browser-linux.sh browser.sh)
(cd extensions && npm install --omit=dev --no-audit --no-fund)
"$CS" --version
touch "$DIR/.complete-$CS_VERSION"
