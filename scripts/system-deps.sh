#!/usr/bin/env bash
# Debian packages the platform needs beyond PyPI. Document OCR itself runs in-process
# (tesserocr's wheel bundles Tesseract, the MRZ model is vendored); the tesseract binary is
# for the whole-page benchmark anchors (bench/document_ocr.py: generic, PassportEye), and
# the OCR-B font (the typeface ICAO 9303 mandates for MRZs) renders test and bench scans.
set -euo pipefail
missing=()
command -v tesseract >/dev/null 2>&1 || missing+=(tesseract-ocr tesseract-ocr-eng)
[ -f /usr/share/fonts/opentype/ocr-b/OCRB.otf ] || missing+=(fonts-ocr-b)
# PyICU (screening name transliteration) has no wheels: pip compiles it against ICU.
pkg-config --exists icu-uc 2>/dev/null || missing+=(pkg-config libicu-dev)
command -v g++ >/dev/null 2>&1 || missing+=(g++)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
  echo "please install: ${missing[*]} (apt-get install ${missing[*]})" >&2
  exit 1
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "installing ${missing[*]} (document OCR, ICU for name transliteration)"
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
