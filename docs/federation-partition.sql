-- The national centre's PostgreSQL: its two tables that grow with every province's records,
-- the certificate index (federation_federatedcertificate, ~10^7 rows a province) and the
-- applied-record ledger (federation_appliedrecord, one row per record ever applied),
-- partitioned by LIST (province): one partition per GB/T 2260 province code, one for the
-- centre's own records ('national'), and a default one. Run once on the centre, after
-- `jiliang migrate`, in a maintenance window (it copies the rows):
--
--     psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f docs/federation-partition.sql
--
-- Why: a province's rows stay together (its lag, its catch-up and its certificate checks
-- touch one partition), a province can be re-loaded or archived by detaching its partition,
-- and VACUUM and index builds work a province at a time. What changes for the ORM: nothing
-- it relies on. PostgreSQL requires a unique key on a partitioned table to include the
-- partition key, so the primary key becomes (id, province) and the record ledger's unique
-- record_id becomes unique (province, record_id) — the same rule, since a record id is
-- "province:seq" and apply_record writes its province beside it. The ids still come from
-- the one identity sequence, so id alone stays unique. A later migration that alters these
-- two tables must be reviewed against this layout (Django does not know of partitions).

BEGIN;

CREATE FUNCTION pg_temp.partition_by_province(tbl text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    old text := tbl || '_unpartitioned';
    code text;
BEGIN
    EXECUTE format('ALTER TABLE %I RENAME TO %I', tbl, old);
    -- the identity, defaults, NOT NULL and CHECK constraints come along; keys and indexes are made below
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY)'
                   ' PARTITION BY LIST (province)', tbl, old);
    EXECUTE format('ALTER TABLE %I ADD PRIMARY KEY (id, province)', tbl);
    FOREACH code IN ARRAY ARRAY['11','12','13','14','15','21','22','23','31','32','33','34','35','36','37',
                                '41','42','43','44','45','46','50','51','52','53','54','61','62','63','64','65',
                                'national'] LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES IN (%L)', tbl || '_' || code, tbl, code);
    END LOOP;
    EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', tbl || '_other', tbl);
    EXECUTE format('INSERT INTO %I OVERRIDING SYSTEM VALUE SELECT * FROM %I', tbl, old);
    EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, ''id''), (SELECT coalesce(max(id), 0) + 1 FROM %I), false)', tbl, tbl);
    EXECUTE format('DROP TABLE %I', old);
END
$$;

SELECT pg_temp.partition_by_province('federation_federatedcertificate');
ALTER TABLE federation_federatedcertificate ADD CONSTRAINT federated_certificate_unique UNIQUE (province, number);
CREATE INDEX federation_fedcert_number ON federation_federatedcertificate (number);  -- the national certificate check
CREATE INDEX federation_fedcert_item_region ON federation_federatedcertificate (item_region);

SELECT pg_temp.partition_by_province('federation_appliedrecord');
ALTER TABLE federation_appliedrecord ADD CONSTRAINT federation_appliedrecord_record_id_key UNIQUE (province, record_id);
CREATE INDEX federation_applied_province_seq ON federation_appliedrecord (province, seq);

COMMIT;
