SELECT "Mixed Case", "with ""quote""", t."select", MyCol, "timestamp", timestamp, source, watermark, a.b.c.d FROM "Table" AS "T" -- comment
/* block /* nested */ comment */ WHERE x = 1