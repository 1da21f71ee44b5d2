# Scenario (s) of scripts/bench: search over one room of a million messages.
# Sourced by scripts/bench (it uses its say, psql URL, server and run dir);
# not a command of its own.
#
# The room is filled once, straight through SQL (a million sends would take
# longer than every other scenario together), and kept with the benchmark's
# database. Each message is eight words drawn from w1..w5000 with a
# log-uniform distribution, so the most common word is in about half the
# messages and the rarest in a few hundred, and every thousandth message
# ends in Japanese. The queries go through GET /search as a client's would,
# one kind at a time; then each kind runs once more with auto_explain on,
# so the plan in the results is the plan of the statement the server ran.

s_room=s-million
s_user=search-bench
s_password=search-bench-password
# kind|query|room: what each kind of query exercises (every readable room
# when no room is given).
s_kinds=(
  "rare word|w4321"
  "common word|w1"
  "rare word, in its room|w4321|$s_room"
  "common word, in its room|w1|$s_room"
  "phrase|\"w2 w3\""
  "word, excluding one|w4321 -w1"
  "Japanese substring|東京で会い"
  "Latin substring|w432"
  "absent word|w9999"
)

# search_token: a token for the user whose searches are timed.
search_token() {
  local body base=http://127.0.0.1:$port
  body=$(jq -cn --arg u "$s_user" --arg p "$s_password" '{username: $u, password: $p}')
  curl -fsS -H 'content-type: application/json' -d "$body" "$base/users" 2>/dev/null \
    || curl -fsS -H 'content-type: application/json' -d "$body" "$base/sessions"
}

# search_seed: fills the room up to $s_messages, and the search copy with it.
# Runs while no server does, so the indexer's mark can be moved past the
# rows copied here.
search_seed() {
  local have
  have=$(psql "$DATABASE_URL" -qAtc "SELECT count(*) FROM messages m JOIN rooms r ON r.id = m.room_id WHERE r.name = '$s_room'")
  if [ "$have" -lt "$s_messages" ]; then
    say "(s) storing $((s_messages - have)) messages in $s_room (once; kept with the database)"
    psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -q <<SQL
INSERT INTO rooms (name) VALUES ('$s_room') ON CONFLICT (name) DO NOTHING;
INSERT INTO messages (room_id, user_id, content, created_at)
SELECT r.id, u.id,
       (SELECT string_agg('w' || floor(power(5000, random()))::int, ' ')
          FROM generate_series(1, 8) WHERE g > 0)
         || CASE WHEN g % 1000 = 0 THEN ' 東京で会いましょう' ELSE '' END,
       now() - make_interval(secs => $s_messages - g)
  FROM generate_series($have + 1, $s_messages) g,
       (SELECT id FROM rooms WHERE name = '$s_room') r,
       (SELECT id FROM users WHERE lower(username) = '$s_user') u;
SQL
  fi
  # Whatever the indexer had not copied when the server stopped, and the
  # rows above: all of it into the copy, and the mark past it.
  psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -q <<SQL
INSERT INTO message_search (id, room_id, content)
SELECT id, room_id, content FROM messages
 WHERE id > (SELECT indexed_up_to FROM search_progress) AND deleted_at IS NULL
ON CONFLICT (id) DO NOTHING;
UPDATE search_progress SET indexed_up_to = (SELECT coalesce(max(id), 0) FROM messages);
VACUUM ANALYZE message_search;
ANALYZE messages;
SQL
}

# explain_set ON: auto_explain's logging of every statement with its
# timings on (1) or off (0), in every session of the server.
explain_set() {
  local duration=-1 analyze=off
  [ "$1" = 1 ] && { duration=0; analyze=on; }
  psql "$DATABASE_URL" -qAt -v ON_ERROR_STOP=1 -c "LOAD 'auto_explain'" \
    -c "ALTER SYSTEM SET auto_explain.log_min_duration = $duration" \
    -c "ALTER SYSTEM SET auto_explain.log_analyze = $analyze" \
    -c "ALTER SYSTEM SET auto_explain.log_buffers = $analyze" \
    -c "SELECT pg_reload_conf()" >/dev/null
  explain_on=$1
}
# explain_off: the database as it was before (sessions opened from now on
# do not load auto_explain).
explain_off() {
  psql "$DATABASE_URL" -qAt \
    -c "ALTER SYSTEM RESET auto_explain.log_min_duration" \
    -c "ALTER SYSTEM RESET auto_explain.log_analyze" \
    -c "ALTER SYSTEM RESET auto_explain.log_buffers" \
    -c "ALTER SYSTEM RESET session_preload_libraries" \
    -c "SELECT pg_reload_conf()" >/dev/null 2>&1 || true
  explain_on=0
}

# search_get TOKEN QUERY [ROOM]: one GET /search; prints "status seconds found".
search_get() {
  local url
  url="http://127.0.0.1:$port/search?limit=20&q=$(jq -rn --arg q "$2" '$q | @uri')${3:+&room=$3}"
  curl -sS -H "authorization: Bearer $1" -o "$run_dir/search-body.json" \
    -w '%{http_code} %{time_total} ' "$url"
  jq '.messages | length' "$run_dir/search-body.json" 2>/dev/null || echo 0
}

# search_plans: of a slice of the database's log, the entries (a line that
# starts with the time, and the plan lines below it) of search statements.
search_plans() {
  awk '/^[0-9][0-9][0-9][0-9]-/ { if (entry ~ /websearch_to_tsquery/) printf "%s", entry; entry = "" }
       { entry = entry $0 "\n" }
       END { if (entry ~ /websearch_to_tsquery/) printf "%s", entry }'
}

search_scenario() {
  local token kind query room times line status seconds found p50 p99 n log offset
  token=$(search_token | jq -r .token)
  stop_server
  search_seed
  # Loaded by every session the server opens from here on, idle until
  # explain_set 1.
  psql "$DATABASE_URL" -qAt -c "ALTER SYSTEM SET session_preload_libraries = 'auto_explain'" \
    -c "SELECT pg_reload_conf()" >/dev/null
  explain_set 0
  start_server
  log=$SAPA_DATA_DIR/postgres.log
  for entry in "${s_kinds[@]}"; do
    IFS='|' read -r kind query room <<<"$entry"
    say "(s) $s_queries searches for $query ($kind)"
    times=$run_dir/search-times.txt
    : > "$times"
    found=0
    for _ in $(seq "$s_queries"); do
      read -r status seconds found < <(search_get "$token" "$query" "$room")
      [ "$status" = 200 ] || { say "(s) $query: HTTP $status: $(head -c 300 "$run_dir/search-body.json")"; break; }
      echo "$seconds" >> "$times"
    done
    n=$(wc -l < "$times")
    [ "$n" -gt 0 ] || continue
    p50=$(sort -g "$times" | awk -v n="$n" 'NR == int((n * 50 + 99) / 100) {printf "%.2f", $1 * 1000}')
    p99=$(sort -g "$times" | awk -v n="$n" 'NR == int((n * 99 + 99) / 100) {printf "%.2f", $1 * 1000}')
    # The same query once more, its plan in the database's log.
    explain_set 1
    offset=$(stat -c %s "$log")
    search_get "$token" "$query" "$room" >/dev/null
    explain_set 0
    { echo "### ($kind) q=$query${room:+ room=$room}"; tail -c +"$((offset + 1))" "$log" | search_plans; echo; } \
      >> "$run_dir/search-plans.txt"
    line=$(jq -cn --arg kind "$kind" --arg q "$query" --arg room "$room" --argjson n "$n" --argjson p50 "$p50" \
      --argjson p99 "$p99" --argjson found "$found" --argjson messages "$s_messages" \
      '{label: "s", kind: $kind, q: $q, room: $room, messages: $messages, queries: $n, found: $found,
        latency_ms: {p50: $p50, p99: $p99}}')
    echo "$line" >> "$results"
  done
  explain_off
  say "(s) plans in $run_dir/search-plans.txt"
}

# search_rows RESULTS: the table's rows for (s).
search_rows() {
  local r
  while IFS= read -r r; do
    jq -r '"| (s) search | \(.messages) messages in one room, \(.kind): `\(.q)` | \(.found) results on the first page, over \(.queries) queries | \(.latency_ms.p50) / \(.latency_ms.p99) / - / - | - | p99 <= 50 ms | \(if .latency_ms.p99 <= 50 then "yes" else "no" end) |"' <<<"$r"
  done < <(jq -c 'select(.label == "s")' "$1")
}
