#!/usr/bin/env bash
# Start N Impact Board processes on 127.0.0.1:8501.. over one database, for deploy/nginx.conf.
#
#   DATABASE_URL=postgresql://impact@db.internal/impact deploy/run-app.sh 2
#
# Each process serves its own browser sessions (one core's worth of page
# reruns); the balancer keeps each tab on one process. Use PostgreSQL for more
# than one process on more than one machine; several processes on one machine
# may share the SQLite file (WAL mode). The schema is brought up to date once,
# before any process starts. Stops every process it started on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-2}
first_port=${FIRST_PORT:-8501}
: "${DATABASE_URL:?set DATABASE_URL (PostgreSQL recommended for several processes)}"

.venv/bin/python -m engagement init
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' INT TERM EXIT
for ((i = 0; i < count; i++)); do
    port=$((first_port + i))
    .venv/bin/streamlit run app.py \
        --server.address 127.0.0.1 --server.port "$port" --server.headless true \
        --browser.gatherUsageStats false --server.fileWatcherType none &
    pids+=("$!")
    echo "impact board process on 127.0.0.1:$port (pid $!)"
done
wait
