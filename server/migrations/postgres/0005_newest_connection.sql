-- credport-server schema on PostgreSQL (as SQLite's 0005_newest_connection.sql): the index a
-- credentials read goes by ends with the connection's id, so that `ORDER BY updated_at DESC,
-- id DESC LIMIT 1` reads the index's last entry for the provider, with no sort.
DROP INDEX connections_by_provider;
CREATE INDEX connections_by_provider ON connections (site_id, provider, status, updated_at, id);
