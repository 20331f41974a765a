#!/usr/bin/env bash
# Installs the Debian packages the project's tooling needs and the image may lack:
# GNU gettext (makemessages/compilemessages), Chromium (the browser tests drive it
# through Playwright with executable_path=/usr/bin/chromium) and a Chinese font (else the
# screenshots show boxes for every character), and the OpenSSL command line (the tests check
# SM2/SM3-signed DCCs with it, independently of the project's code). Safe to rerun: it installs only what is
# missing and runs `apt-get update` at most once.
set -euo pipefail

missing=()
command -v msgfmt >/dev/null 2>&1 && command -v xgettext >/dev/null 2>&1 || missing+=(gettext)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=zh 2>/dev/null)" ]; then
    missing+=(fonts-wqy-microhei)
fi

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=sudo
    else
        echo "install-system-packages: need root to install: ${missing[*]}" >&2
        exit 1
    fi
else
    SUDO=
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
