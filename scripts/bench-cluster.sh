# Scenario (g) of scripts/bench: two nodes behind nginx (sourced by it;
# defines functions only, and uses its start_server, stop_server, load and
# the variables they use).
#
# The single server is stopped; two nodes on the same database start with
# the bus on (BENCH_G_BUS: postgres, the default, or nats, which starts a
# nats-server), both pinned to CPU 0 with PostgreSQL, and Debian's nginx
# (deploy/nginx.conf) in front of them, on CPU 0 as well. The (a) and (d)
# loads then go through nginx, which spreads their clients over both nodes
# (least_conn, no sticky sessions), so every message crosses the bus to
# reach half its readers. The server CPU reported is node 1's; the table
# says so. The single server is started again afterwards.

# shellcheck source=scripts/lib/nginx.sh
. "$root_dir/scripts/lib/nginx.sh"

# What (g) started (nodes, nginx, nats-server): bench's cleanup stops them
# too if the run is cut short.
cluster_pids=()

# cluster_stop: stops what (g) started, each given 15 s before SIGKILL.
cluster_stop() {
  local pid
  for pid in "${cluster_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${cluster_pids[@]}"; do
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  cluster_pids=()
}

cluster_scenario() {
  local bus=${BENCH_G_BUS:-postgres} nginx_bin front node env_bus=(SAPA_CLUSTER=1)
  nginx_bin=$(nginx_path) || { say "(g) needs nginx; skipped"; return 0; }
  stop_server
  if [ "$bus" = nats ]; then
    local nats_port=$((port + 20))
    taskset -c 0 "$(command -v nats-server || echo /usr/sbin/nats-server)" -a 127.0.0.1 -p "$nats_port" \
      >"$run_dir/nats.log" 2>&1 &
    cluster_pids+=("$!")
    env_bus=(SAPA_NATS_URL="nats://127.0.0.1:$nats_port")
  fi
  local node_pids=()
  for node in 1 2; do
    env "${env_bus[@]}" SAPA_NODE_ID="bench-$node" SAPA_LIMITS=off RUST_LOG=${RUST_LOG:-warn} \
      SAPA_MAX_CONNECTIONS=$((e_clients + 1000)) SAPA_TRUSTED_PROXIES=127.0.0.1/32 \
      nice -n "$niceness" taskset -c 0 "$server_bin" --bind "127.0.0.1:$((port + node))" \
      >>"$run_dir/node-$node.log" 2>&1 &
    node_cluster_pids+=("$!")
    cluster_pids+=("$!")
  done
  front=$((port + 10))
  nginx_conf "$run_dir" "$front" $((port + 1)) $((port + 2))
  taskset -c 0 "$nginx_bin" -c "$run_dir/nginx.conf" -p "$run_dir" 2>>"$run_dir/nginx-error.log" &
  cluster_pids+=("$!")
  local serving=0
  for _ in $(seq 300); do
    curl -fsS "http://127.0.0.1:$((port + 1))/healthz" >/dev/null 2>&1 \
      && curl -fsS "http://127.0.0.1:$((port + 2))/healthz" >/dev/null 2>&1 \
      && curl -fsS "http://127.0.0.1:$front/healthz" >/dev/null 2>&1 && { serving=1; break; }
    sleep 0.1
  done
  if [ "$serving" = 0 ]; then
    say "(g) the nodes and nginx did not serve within 30 s (see $run_dir/node-*.log); skipped"
    cluster_stop
    start_server
    return 0
  fi
  say "(g) two nodes (bus: $bus) behind nginx on 127.0.0.1:$front, pids ${node_pids[*]}"
  local single_url=$ws_url single_pid=$server_pid
  ws_url=ws://127.0.0.1:$front/ws
  server_pid=${node_pids[0]}
  say "(g) the (a) load through nginx: 1000 clients, 1 room, 10 senders x 10 msg/s"
  load "g-a" run --clients 1000 --rooms 1 --senders 10 --rate 10 --warmup "$warmup" \
    --duration "$duration" --room-prefix "g$bus-a" >/dev/null || true
  say "(g) the (d) load through nginx: 2000 clients, 200 rooms of 10, each 1 msg/s"
  load "g-d" run --clients 2000 --rooms 200 --senders 2000 --rate 1 --warmup "$warmup" \
    --duration "$duration" --room-prefix "g$bus-d" >/dev/null || true
  cluster_stop
  ws_url=$single_url
  server_pid=$single_pid
  start_server
}

# cluster_rows RESULTS: the table's rows for (g).
cluster_rows() {
  local r what
  for what in a d; do
    r=$(jq -c --arg l "g-$what" 'select(.label == $l)' "$1" | tail -n 1)
    [ -n "$r" ] || continue
    jq -r "\"| (g) two nodes behind nginx | the ($what) load, \(.clients) clients over both nodes | \(.received) of \(.expected) delivered (\(.deliveries_per_s|round)/s, \(.stored_per_s|round) stored/s) | \(.latency_ms.p50) / \(.latency_ms.p99) / \(.latency_ms.p999) / \(.latency_ms.max) | \(.cpu.server_pct // \"-\") (node 1 of 2) / \(.cpu.db_pct // \"-\") / \(.cpu.cpu_busy_pct[\"0\"] // \"-\") / \(.cpu.tool_pct) / \(.cpu.cpu_busy_pct[\"1\"] // \"-\") | all delivered | \(if .delivery_ratio >= 1 then \"yes\" else \"no\" end) |\"" <<<"$r"
  done
}
