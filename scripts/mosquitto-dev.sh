#!/usr/bin/env bash
# Start a local Mosquitto for development when none listens on 127.0.0.1:${PORT:-1883}:
# persistence on (sessions and queued QoS 1 messages survive a restart), no cap on the
# queue of an offline persistent session (max_queued_messages 0; Mosquitto's default of
# 1000 would drop the worker's backlog while it is down). Loopback only.
set -euo pipefail
PORT="${PORT:-1883}"
DIR="${MOSQUITTO_DIR:-${TMPDIR:-/tmp}/jiliang-mosquitto-$PORT}"
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  echo "a broker already listens on 127.0.0.1:$PORT"
  exit 0
fi
MOSQUITTO="$(command -v mosquitto || echo /usr/sbin/mosquitto)"
[ -x "$MOSQUITTO" ] || { echo "mosquitto not installed (apt-get install mosquitto)" >&2; exit 1; }
mkdir -p "$DIR"
cat > "$DIR/mosquitto.conf" <<CONF
listener $PORT 127.0.0.1
allow_anonymous true
persistence true
persistence_location $DIR/
max_queued_messages 0
user $(id -un)
pid_file $DIR/mosquitto.pid
CONF
"$MOSQUITTO" -c "$DIR/mosquitto.conf" -d
echo "mosquitto on 127.0.0.1:$PORT (data in $DIR); stop it with: kill \$(cat $DIR/mosquitto.pid)"
