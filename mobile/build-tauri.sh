#!/usr/bin/env bash
# Builds the Tauri 2 shell of the PASS'Région app.
#
#   ./build-tauri.sh deps          install the Debian libraries (webkit2gtk 4.1…) — root
#   ./build-tauri.sh desktop       debug binary with the embedded frontend (default)
#   ./build-tauri.sh deb           release .deb package
#   ./build-tauri.sh test          Rust tests of the commands (scan_frame over IPC)
#   ./build-tauri.sh android-check best-effort `cargo check` for aarch64-linux-android
#   ./build-tauri.sh android       APK (needs ANDROID_HOME + NDK_HOME; not on CI)
#   ./build-tauri.sh ios           iOS app (needs macOS + Xcode; not on CI)
#
# The frontend is built by `npm run build:tauri` into dist-tauri/ with
# VITE_API_BASE from .env.tauri (the server URL can also be changed on the
# login screen, "Serveur").
set -euo pipefail
cd "$(dirname "$0")"
what="${1:-desktop}"

need_npm() { [ -d node_modules ] || npm ci --no-audit --no-fund; }

case "$what" in
  deps)
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev \
      libsoup-3.0-dev libjavascriptcoregtk-4.1-dev libxdo-dev libssl-dev libdbus-1-dev build-essential file pkg-config
    ;;
  desktop)
    need_npm
    CARGO_PROFILE_DEV_DEBUG=0 npx tauri build --debug --no-bundle
    echo "Binaire : $(pwd)/src-tauri/target/debug/passregion-app"
    ;;
  deb)
    need_npm
    npx tauri build --bundles deb
    ls src-tauri/target/release/bundle/deb/
    ;;
  test)
    need_npm
    npm run build:tauri
    (cd src-tauri && CARGO_PROFILE_DEV_DEBUG=0 cargo test --locked)
    ;;
  android-check)
    need_npm
    npm run build:tauri
    rustup target add aarch64-linux-android
    (cd src-tauri && cargo check --locked --lib --target aarch64-linux-android)
    ;;
  android)
    need_npm
    : "${ANDROID_HOME:?set ANDROID_HOME (Android SDK)}" "${NDK_HOME:?set NDK_HOME (Android NDK)}"
    [ -d src-tauri/gen/android ] || npx tauri android init
    manifest=src-tauri/gen/android/app/src/main/AndroidManifest.xml
    if ! grep -q 'android.permission.CAMERA' "$manifest"; then
      # camera + location permissions, from src-tauri/android/AndroidManifest.permissions.xml
      perms="$(grep -v '^<!--\|^ *(Tauri\|^     ' src-tauri/android/AndroidManifest.permissions.xml | grep '<uses')"
      awk -v p="$perms" '/<application/ && !done { print p; done=1 } { print }' "$manifest" > "$manifest.tmp" && mv "$manifest.tmp" "$manifest"
    fi
    npx tauri android build --apk --target aarch64
    ;;
  ios)
    need_npm
    [ -d src-tauri/gen/apple ] || npx tauri ios init
    npx tauri ios build
    ;;
  *)
    sed -n '2,14p' "$0"
    exit 2
    ;;
esac
