#!/usr/bin/env bash
# End-to-end benchmark: builds what it needs, then runs each broker in its own JVM with the plugin loaded as
# users load it, nginx (Debian's nginx-light, installed if missing) as the endpoint and the publishers in this
# script's JVM; prints the targets of issue 11 per broker (before: http.client = apache, after: nio), then the
# tables (fixed-rate QoS 0, CPU by thread, QoS 1 saturation with the isolation rows, latency, disk queue, memory,
# accounting), and keeps them in benchmarks/target/e2e/tables.md with charts of them as PNG beside it
# (publish-rate.png, delivered.png, cpu-per-event.png). See docs/benchmarks.md. About 35 minutes per broker.
# Usage: benchmarks/run-e2e.sh [--brokers=hivemq,moquette] [--clients=apache,nio]
#          [--parts=saturation,fixed,latency,memory,disk,cold] [--messages=80000] [--warm-up=80000] [--rounds=3]
#          [--fixed-rate=20000] [--fixed-messages=300000] [--fixed-warm-up=400000]
#          [--search-up=25000,30000,35000,40000,50000] [--search-down=15000,10000,5000]
#          [--latency-rate=10000] [--latency-messages=100000] [--plugin-jvm-args="-XX:StartFlightRecording=..."]
#          [--scenarios="healthy, batch 1, pool 32|isolation"]   (saturation scenarios whose names start so)
#        benchmarks/run-e2e.sh --soak-minutes=N [--rate=msg/s] [--brokers=hivemq|moquette]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
if ! command -v nginx >/dev/null; then
  apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null
fi
# the classpaths in the same reactor build as the jars: this build's modules, never older ones from ~/.m2
# (the demo's pom-type dependency on the extension only orders the build; it is no classpath entry)
mvn -B -q -Pbench package -DskipTests dependency:build-classpath -Dmdep.outputFile=target/bench.classpath \
  -DexcludeTypes=pom
version=$(sed -n 's|.*<version>\(.*\)</version>.*|\1|p' pom.xml | head -1)
out=benchmarks/target/e2e
mkdir -p "$out"
cp="benchmarks/target/classes:$(cat benchmarks/target/bench.classpath)"
java -Xmx2g -cp "$cp" io.mqttwebhook.bench.EndToEnd \
  --hivemq-cp="$root/demo/target/classes:$(cat demo/target/bench.classpath)" \
  --extension="$root/hivemq-extension/target/mqtt-webhook-$version/mqtt-webhook" \
  --moquette-lib="$root/moquette-interceptor/target/moquette-lib" \
  --moquette-jar="$root/moquette-interceptor/target/mqtt-webhook-moquette-$version.jar" \
  --nginx="$(command -v nginx)" \
  "$@" | tee "$out/tables.md"
if ! grep -q -- '--soak-minutes' <<<"$*"; then
  java -Djava.awt.headless=true -cp "$cp" io.mqttwebhook.bench.Charts "$out/tables.md" "$out"
  echo "tables and charts: $out"
fi
