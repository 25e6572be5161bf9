#!/usr/bin/env bash
# End-to-end benchmark: builds what it needs, then runs each broker in its own JVM with the plugin loaded as
# users load it, nginx (Debian's nginx-light, installed if missing) as the endpoint and QoS 1 publishers in
# this script's JVM; prints the tables.
# Usage: benchmarks/run-e2e.sh [--messages=N] [--warm-up=N] [--brokers=hivemq,moquette]
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
exec java -Xmx1g -cp "benchmarks/target/classes:$(cat benchmarks/target/bench.classpath)" io.mqttwebhook.bench.EndToEnd \
  --hivemq-cp="$root/demo/target/classes:$(cat demo/target/bench.classpath)" \
  --extension="$root/hivemq-extension/target/mqtt-webhook-$version/mqtt-webhook" \
  --moquette-lib="$root/moquette-interceptor/target/moquette-lib" \
  --moquette-jar="$root/moquette-interceptor/target/mqtt-webhook-moquette-$version.jar" \
  --nginx="$(command -v nginx)" \
  "$@"
