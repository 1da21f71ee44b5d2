# nginx in front of local sapa nodes, for scripts/cluster and
# scripts/failover (source this file; it defines functions only).

# Prints nginx's path, installing Debian's nginx with apt-get when it is
# missing and this runs as root; fails with a message otherwise.
nginx_path() {
  if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "nginx: installing it with apt-get" >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light >/dev/null 2>&1 \
        || DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx >/dev/null
    else
      echo "nginx: missing (sudo apt-get install nginx)" >&2
      return 1
    fi
  fi
  command -v nginx || echo /usr/sbin/nginx
}

# nginx_conf RUN_DIR PORT NODE_PORT...: writes RUN_DIR/nginx.conf, which is
# deploy/nginx.conf listening on PORT in front of 127.0.0.1:NODE_PORT...,
# inside the events/http blocks nginx needs when it runs on its own, with
# its pid, logs and temporary files in RUN_DIR (so it runs as any user).
nginx_conf() {
  local run=$1 port=$2 upstream="" node temp
  shift 2
  for node in "$@"; do
    upstream+="        server 127.0.0.1:$node max_fails=3 fail_timeout=5s;"$'\n'
  done
  {
    echo "daemon off; pid $run/nginx.pid; error_log $run/nginx-error.log;"
    # Each WebSocket holds two connections (client and node).
    echo "worker_rlimit_nofile 40000;"
    echo "events { worker_connections 16384; }"
    echo "http {"
    echo "access_log $run/nginx-access.log;"
    for temp in client_body proxy fastcgi uwsgi scgi; do echo "${temp}_temp_path $run/$temp;"; done
    awk -v upstream="$upstream" -v port="$port" '
      /^[[:space:]]*server 127\.0\.0\.1:[0-9]+/ { if (!done) { printf "%s", upstream; done = 1 } next }
      /^[[:space:]]*listen 8080;/ { print "    listen 127.0.0.1:" port ";"; next }
      { print }' "$(dirname "${BASH_SOURCE[0]}")/../../deploy/nginx.conf"
    echo "}"
  } >"$run/nginx.conf"
}
