"""Batch leaves kept a page per table row (``LedgerPage``: up to 256 ids and digests) instead
of a row per leaf: the leaves of 6 million generated rows were 6 million rows to COPY and
index, as much as the rows they covered. The leaves already stored are moved into pages of
their batch in id order (the order the Merkle root covers), so every batch verifies as before."""

from django.db import migrations, models

PAGE = 256  # jiliang.core.merkle.PAGE when this migration was written


def leaves_to_pages(apps, schema_editor):
    Leaf = apps.get_model("audit", "LedgerLeaf")
    table = apps.get_model("audit", "LedgerPage")._meta.db_table
    connection = schema_editor.connection
    batches = list(Leaf.objects.order_by().values_list("batch", flat=True).distinct())
    moved = 0
    with connection.cursor() as cursor:
        for batch in sorted(batches):
            rows = Leaf.objects.filter(batch=batch).order_by("object_id").values_list("object_id", "row_digest")
            ids, digests = [], []
            for object_id, digest in rows.iterator(chunk_size=20_000):
                ids.append(int(object_id).to_bytes(8, "big", signed=True))
                digests.append(bytes(digest))
            pages = [
                (batch, k, b"".join(ids[i : i + PAGE]), b"".join(digests[i : i + PAGE]))
                for k, i in enumerate(range(0, len(ids), PAGE))
            ]
            cursor.executemany(f'INSERT INTO "{table}" (batch, page, object_ids, row_digests) VALUES (%s, %s, %s, %s)', pages)
            moved += len(ids)
    if moved:
        # Nothing to infer: every leaf moves whole; said so the operator sees the count.
        print(f"\n  audit 0003: {moved} batch leaves of {len(batches)} batches moved into pages")


def pages_to_leaves(apps, schema_editor):
    Page = apps.get_model("audit", "LedgerPage")
    table = apps.get_model("audit", "LedgerLeaf")._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        for batch, _page, ids, digests in Page.objects.order_by("batch", "page").values_list(
            "batch", "page", "object_ids", "row_digests"
        ):
            ids, digests = bytes(ids), bytes(digests)
            rows = [
                (batch, int.from_bytes(ids[8 * k : 8 * k + 8], "big", signed=True), digests[32 * k : 32 * k + 32])
                for k in range(len(ids) // 8)
            ]
            cursor.executemany(f'INSERT INTO "{table}" (batch, object_id, row_digest) VALUES (%s, %s, %s)', rows)


def store_uncompressed(apps, schema_editor):
    """Digests and ids do not compress: PostgreSQL keeps them out of line without trying."""
    if schema_editor.connection.vendor == "postgresql":
        table = apps.get_model("audit", "LedgerPage")._meta.db_table
        for column in ("object_ids", "row_digests"):
            schema_editor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET STORAGE EXTERNAL')


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_ledger_leaf"),
    ]

    operations = [
        migrations.CreateModel(
            name="LedgerPage",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey("batch", "page", blank=True, editable=False, primary_key=True, serialize=False),
                ),
                ("batch", models.PositiveBigIntegerField(verbose_name="批次条目序号")),
                ("page", models.PositiveIntegerField(verbose_name="页序号")),
                ("object_ids", models.BinaryField(verbose_name="对象标识")),
                ("row_digests", models.BinaryField(verbose_name="行摘要")),
            ],
            options={
                "verbose_name": "批次摘要页",
                "verbose_name_plural": "批次摘要页",
                "default_permissions": (),
                "base_manager_name": "objects",
            },
        ),
        migrations.RunPython(store_uncompressed, migrations.RunPython.noop),
        migrations.RunPython(leaves_to_pages, pages_to_leaves),
        migrations.DeleteModel(name="LedgerLeaf"),
    ]
