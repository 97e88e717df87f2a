#!/usr/bin/env bash
# Whole nginx C sources, of the version of the installed nginx-dev, for the
# builds that need more than its headers: nginx itself under the sanitizers
# and the fuzz target (which links nginx's core objects).
#
#   scripts/nginx-source.sh DIR     prints DIR/nginx-X.Y.Z, fetched once
#
# The upstream tarball is Debian's own "orig" one, fetched by apt-get
# source from the deb-src twin of the machine's configured Debian archive
# (kept in DIR/apt, /etc/apt is left alone; apt checks it against the
# archive's signed index).  Debian's conf_flags are copied into the tree,
# so that scripts/configure-nginx.sh configures it as Debian's nginx.
# Offline: NGINX_TARBALL=/path/to/nginx-X.Y.Z.tar.gz uses that one instead.
set -euo pipefail

dir=$(mkdir -p "$1" && cd "$1" && pwd)
dev=/usr/share/nginx/src

version=$(sed -n 's/^#define NGINX_VERSION *"\(.*\)"/\1/p' \
              "$dev/src/core/nginx.h" 2> /dev/null || true)
if [ -z "$version" ]; then
    echo "no nginx-dev headers in $dev (apt-get install nginx-dev)" >&2
    exit 1
fi

tree=$dir/nginx-$version

if [ -x "$tree/configure" ]; then
    echo "$tree"
    exit 0
fi

tarball=${NGINX_TARBALL:-$dir/nginx_$version.orig.tar.gz}

if [ ! -f "$tarball" ]; then
    apt=$dir/apt
    rm -rf "$apt"
    mkdir -p "$apt/sources" "$apt/lists/partial" "$apt/cache/archives/partial"

    # the deb-src twin of every configured archive, Debian's format or the
    # one-line one
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        sed 's/^Types:.*/Types: deb-src/' "$f" > "$apt/sources/${f##*/}"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" \
            > "$apt/sources/${f##*/}"
    done

    opts=(-q -o "Dir::Etc::SourceList=/dev/null"
          -o "Dir::Etc::SourceParts=$apt/sources"
          -o "Dir::State::Lists=$apt/lists"
          -o "Dir::Cache=$apt/cache"
          -o "APT::Sandbox::User=root")

    # a failing third-party source must not stop the one that matters
    apt-get "${opts[@]}" update > "$apt/update.log" 2>&1 || true

    # the release's own version first: security updates may publish their
    # Debian files elsewhere, the orig tarball is the same in all of them
    # shellcheck disable=SC1091
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    (
        cd "$dir"
        apt-get "${opts[@]}" source --download-only "nginx/$codename" \
            > "$apt/source.log" 2>&1 \
        || apt-get "${opts[@]}" source --download-only nginx \
            >> "$apt/source.log" 2>&1 \
        || true
    )

    if [ ! -f "$tarball" ]; then
        echo "could not fetch nginx_$version.orig.tar.gz with apt-get" \
             "source; see $apt/*.log, or set NGINX_TARBALL" >&2
        tail -n 5 "$apt/update.log" "$apt/source.log" >&2
        exit 1
    fi
fi

rm -rf "$tree" "$tree.tmp"
mkdir -p "$tree.tmp"
tar -xzf "$tarball" -C "$tree.tmp" --strip-components=1

if [ -f "$dev/conf_flags" ]; then
    cp "$dev/conf_flags" "$tree.tmp/"
fi

mv "$tree.tmp" "$tree"
echo "$tree"
