#!/usr/bin/env bash
# Restores Posbon's PostgreSQL from the pgBackRest repository into an empty data folder: the latest base backup, then
# WAL replayed to the end of the archive (default) or to a point in time (--to), after which the server is promoted.
# Run as the PostgreSQL OS user; then start PostgreSQL on the folder. The repository (ops/backup/pgbackrest.conf: an
# S3-compatible bucket) takes its keys from PGBACKREST_REPO1_S3_KEY, PGBACKREST_REPO1_S3_KEY_SECRET and
# PGBACKREST_REPO1_CIPHER_PASS in the environment, from the backup Secret or its offline copy.
#   restore.sh --config /etc/pgbackrest/pgbackrest.conf --stanza posbon --pg-path /var/lib/postgresql/15/main \
#              [--to '2026-11-29 06:40:00.123+00'] [--no-archive]
# --no-archive: the restored server does not push WAL to the repository (a drill beside the running primary).
set -euo pipefail

config='' stanza='' pg_path='' target='' archive=on
while [ $# -gt 0 ]; do
  case "$1" in
    --config) config="$2"; shift 2 ;;
    --stanza) stanza="$2"; shift 2 ;;
    --pg-path) pg_path="$2"; shift 2 ;;
    --to) target="$2"; shift 2 ;;
    --no-archive) archive=off; shift ;;
    *) echo "restore.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$config" ] && [ -n "$stanza" ] && [ -n "$pg_path" ] || { echo 'restore.sh: --config, --stanza and --pg-path are required' >&2; exit 2; }
if [ -d "$pg_path" ] && [ -n "$(ls -A "$pg_path")" ]; then
  echo "restore.sh: $pg_path is not empty; restore into an empty folder" >&2
  exit 2
fi
mkdir -p "$pg_path"
chmod 700 "$pg_path"

args=(--config="$config" --stanza="$stanza" --pg1-path="$pg_path" --archive-mode="$archive" --log-level-console=warn)
if [ -n "$target" ]; then
  # Replays every transaction committed up to the instant, none after it, then opens for writes.
  args+=(--type=time "--target=$target" --target-action=promote)
else
  args+=(--type=default)
fi
pgbackrest "${args[@]}" restore
echo "restore.sh: restored into $pg_path (${target:-latest archived WAL}); start PostgreSQL on it"
