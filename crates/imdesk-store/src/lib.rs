//! The SQLite message cache: one writer thread, reader connections, migrations, full-text search for Chinese.
