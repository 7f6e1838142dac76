#!/usr/bin/env bash
# Makes sure a PostgreSQL server is running on this machine and that the test
# role and a fresh test database exist; prints the URL to use.
#   - installed but stopped: started;  - not installed: installed from Debian's packages.
# Usage: eval "$(scripts/ensure-postgres.sh)"   (exports KOKUHO_PG_URL)
# Environment: KOKUHO_PG_PORT (default 5432), KOKUHO_PG_DB (default kokuho_test).
set -euo pipefail

port=${KOKUHO_PG_PORT:-5432}
db=${KOKUHO_PG_DB:-kokuho_test}
role=kokuho_test
# A throwaway password for a local test role on a test machine; never used in production.
password=kokuho_test

log() { echo "ensure-postgres: $*" >&2; }

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -n -u postgres "$@"; fi
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi
}

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  log "PostgreSQL is not installed: installing it from Debian's packages"
  as_root apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >&2
fi

cluster=$(pg_lsclusters --no-header 2>/dev/null | awk -v p="$port" '$3 == p {print $1" "$2" "$4; exit}')
if [ -z "$cluster" ]; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  log "no cluster on port $port: creating $version/main"
  as_root pg_createcluster --port "$port" "$version" main >&2
  cluster="$version main down"
fi
read -r version name status <<<"$cluster"
if [ "$status" != online ]; then
  log "starting cluster $version/$name"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start >&2
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p "$port" && break
  sleep 1
done
pg_isready -q -h 127.0.0.1 -p "$port" || { log "PostgreSQL does not answer on 127.0.0.1:$port"; exit 1; }

# The role and a fresh database, through the local socket as the postgres user,
# so it works whether TCP connections use trust or passwords.
as_postgres psql -q -p "$port" -v ON_ERROR_STOP=1 >&2 <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN
    CREATE ROLE $role LOGIN PASSWORD '$password';
  END IF;
END \$\$;
DROP DATABASE IF EXISTS $db WITH (FORCE);
CREATE DATABASE $db OWNER $role TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8';
SQL
echo "export KOKUHO_PG_URL=postgres://$role:$password@127.0.0.1:$port/$db"
