"""DB-API 2.0 Connection and Cursor, a thin layer over the engine."""
