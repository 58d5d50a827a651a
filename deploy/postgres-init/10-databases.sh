#!/usr/bin/env bash
# Runs once, when the postgres volume is first initialised (docker-entrypoint-initdb.d).
#
# One server, separate roles and databases: Temporal's role may create databases (its
# auto-setup creates `temporal` and `temporal_visibility` and installs their schemas);
# Clearway's role owns only the `clearway` database, so a bug or an injection in the
# application can never read or rewrite workflow history. The superuser from
# POSTGRES_USER is used by nobody but operators.
#
# btree_gin, which the visibility schema installs, is a trusted extension (PostgreSQL 13+),
# so the owner of temporal_visibility may create it without being a superuser.
#
# Passwords come from the container environment (see docker-compose.yml); psql quotes them
# with :'var', so any character is safe. Changing them later needs ALTER ROLE: this script
# does not run again on an existing volume.
set -euo pipefail

: "${CLEARWAY_DB_PASSWORD:?CLEARWAY_DB_PASSWORD must be set}"
: "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD must be set}"

psql -v ON_ERROR_STOP=1 \
     --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v clearway_password="$CLEARWAY_DB_PASSWORD" \
     -v temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE ROLE temporal LOGIN CREATEDB PASSWORD :'temporal_password';
CREATE ROLE clearway LOGIN PASSWORD :'clearway_password';
CREATE DATABASE clearway OWNER clearway;
REVOKE ALL ON DATABASE clearway FROM PUBLIC;
SQL
