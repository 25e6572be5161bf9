#!/usr/bin/env bash
# Delivery of the core alone: nginx (Debian's nginx-light, installed if missing) answers 204 on
# 127.0.0.1:18091, and the core posts to it after JIT warm-up rounds, with each HTTP client (apache: the one
# main had; nio: the plugin's own): one event per request as fast as possible, the same at 20 000 events/s
# (the CPU per event at a rate below the ceiling), then batches of 100.
# Usage: benchmarks/run-core.sh [events-per-round]
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-100000}
if ! command -v nginx >/dev/null; then
  apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null
fi
dir=$(mktemp -d)
cat > "$dir/nginx.conf" <<CONF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/body;
  keepalive_requests 10000000;
  server { listen 127.0.0.1:18091; location / { return 204; } }
}
CONF
nginx -c "$dir/nginx.conf"
trap 'nginx -c "$dir/nginx.conf" -s stop; rm -rf "$dir"' EXIT
mvn -B -q -Pbench package -DskipTests
mvn -B -q -Pbench dependency:build-classpath -pl benchmarks -Dmdep.outputFile=target/benchmarks.classpath
cp="benchmarks/target/classes:$(cat benchmarks/target/benchmarks.classpath)"
for client in apache nio; do
  echo "$client, one event per request, as fast as possible:"
  java -cp "$cp" io.mqttwebhook.bench.CoreDelivery http://127.0.0.1:18091/hook "$events" 1 4 "$client"
  echo "$client, one event per request, 20 000 events/s:"
  java -cp "$cp" io.mqttwebhook.bench.CoreDelivery http://127.0.0.1:18091/hook "$((events * 2))" 1 3 "$client" 8 20000
  echo "$client, batch.max_events = 100:"
  java -cp "$cp" io.mqttwebhook.bench.CoreDelivery http://127.0.0.1:18091/hook "$((events * 2))" 100 3 "$client"
done
