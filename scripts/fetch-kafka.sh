#!/usr/bin/env bash
# Fetches Apache Kafka (the broker the Kafka engine's tests run) and its runtime dependencies
# through Maven into .cache/kafka/lib (git-ignored). Quick when already there: the jars are
# fetched again only when test/kafka/pom.xml changes. Needs Java 17+ and Maven
# (Debian: apt-get install openjdk-17-jre-headless maven; .ci/run installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
pom=test/kafka/pom.xml
dest=.cache/kafka
stamp="$dest/lib/.pom.sha256"
sum=$(sha256sum "$pom" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
  exit 0
fi
for tool in java mvn; do
  command -v "$tool" >/dev/null 2>&1 || { echo "fetch-kafka: $tool is missing: apt-get install openjdk-17-jre-headless maven (or run bash .ci/run)" >&2; exit 1; }
done
rm -rf "$dest/lib.tmp"
mkdir -p "$dest"
if ! mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$PWD/$dest/lib.tmp" > "$dest/mvn.log" 2>&1; then
  cat "$dest/mvn.log" >&2
  echo "fetch-kafka: Maven could not fetch Kafka (log above, kept in $dest/mvn.log)" >&2
  exit 1
fi
rm -rf "$dest/lib"
mv "$dest/lib.tmp" "$dest/lib"
echo "$sum" > "$stamp"
echo "fetch-kafka: $(ls "$dest/lib" | wc -l) jars in $dest/lib"
