#!/usr/bin/env bash
# `bash deploy/apt-install.sh <who> <package>...`: installs Debian packages without prompts (CI
# has no stdin), as root or through passwordless sudo; <who> names the caller in messages.
set -euo pipefail
who=$1
shift
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "$who: $* missing and this is not root; install the Debian packages: $*" >&2
    exit 1
  fi
else
  SUDO=""
fi
echo "$who: installing $*" >&2
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
