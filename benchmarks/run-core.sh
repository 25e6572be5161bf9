#!/usr/bin/env bash
# Delivery of the core alone: nginx (Debian's nginx-light, installed if missing) answers 204 on
# 127.0.0.1:18091, and the core posts to it after JIT warm-up rounds, with each HTTP client (apache: the one
# main had; nio: the plugin's own): one event per request as fast as possible, the same at 20 000 events/s
# (the CPU per event at a rate below the ceiling), then batches of 100.
# With --tls, the same over https (nginx with a throw-away certificate on 127.0.0.1:18443).
# Usage: benchmarks/run-core.sh [--tls] [events-per-round]
set -euo pipefail
cd "$(dirname "$0")/.."
scheme=http; port=18091
if [ "${1:-}" = "--tls" ]; then scheme=https; port=18443; shift; fi
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
  server { listen 127.0.0.1:18443 ssl; ssl_certificate $dir/cert.pem; ssl_certificate_key $dir/key.pem;
           location / { return 204; } }
}
CONF
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -keyout "$dir/key.pem" -out "$dir/cert.pem" \
  2>/dev/null
nginx -c "$dir/nginx.conf"
trap 'nginx -c "$dir/nginx.conf" -s stop; rm -rf "$dir"' EXIT
# the classpath from the same reactor build as the jars: this worktree's common, never an older one from ~/.m2
mvn -B -q -Pbench package -DskipTests dependency:build-classpath -Dmdep.outputFile=target/bench.classpath \
  -DexcludeTypes=pom
cp="benchmarks/target/classes:$(cat benchmarks/target/bench.classpath)"
for client in apache nio; do
  echo "$client, one event per request, as fast as possible:"
  java -cp "$cp" io.mqttwebhook.bench.CoreDelivery $scheme://127.0.0.1:$port/hook "$events" 1 4 "$client"
  echo "$client, one event per request, 20 000 events/s:"
  java -cp "$cp" io.mqttwebhook.bench.CoreDelivery $scheme://127.0.0.1:$port/hook "$((events * 2))" 1 3 "$client" 8 20000
  echo "$client, batch.max_events = 100:"
  java -cp "$cp" io.mqttwebhook.bench.CoreDelivery $scheme://127.0.0.1:$port/hook "$((events * 2))" 100 3 "$client"
done
