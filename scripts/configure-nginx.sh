#!/usr/bin/env bash
# Prepares an nginx build tree for the module, outside the source tree:
#   scripts/configure-nginx.sh NGINX_SRC BUILD_DIR CC_OPT [extra configure args]
# NGINX_SRC is Debian's nginx-dev tree (/usr/share/nginx/src), whose
# conf_flags give the configure flags of the distribution's nginx, or any
# upstream nginx source tree.
set -euo pipefail

src=$1
dir=$2
cc_opt=$3
shift 3

module_dir=$(cd "$(dirname "$0")/.." && pwd)

if [ ! -x "$src/configure" ]; then
    echo "no nginx source tree at $src (Debian: apt-get install nginx-dev," \
         "or make NGINX_SRC=/path/to/nginx-x.y.z)" >&2
    exit 1
fi

rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
cp -a "$src" "$dir"

if [ -f "$src/conf_flags" ]; then
    # shellcheck disable=SC1091
    . "$src/conf_flags"
    flags=("${NGX_CONF_FLAGS[@]}")
else
    flags=(--with-compat --with-debug --with-http_ssl_module
           --with-http_auth_request_module --with-threads)
fi

cd "$dir"
./configure "${flags[@]}" "$@" \
    --with-cc-opt="$cc_opt" \
    --add-dynamic-module="$module_dir" > configure.log 2>&1 || {
    tail -n 30 configure.log >&2
    exit 1
}
