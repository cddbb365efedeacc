#!/bin/sh
# make demo: start a recording SMTP server on 127.0.0.1, send one mail
# through it with the freshly built msmtp, and show what the server got.
set -eu
build=$1
exec /usr/bin/python3 "$(dirname "$0")/demo.py" "$build"
