-- credport-server schema: the index a credentials read goes by ends with the connection's id.

-- A credentials read takes the site's active connection for the provider that changed last:
-- `ORDER BY updated_at DESC, id DESC LIMIT 1`, the id settling two changes in the same second.
-- Without the id in the index, every read sorted its matches in a temporary b-tree (made, filled
-- and dropped per read: a tenth of the read's instructions, docs/performance.md); with it, the
-- answer is the index's last entry for the provider.
DROP INDEX connections_by_provider;
CREATE INDEX connections_by_provider ON connections (site_id, provider, status, updated_at, id);
