"""Alert history API: reads the Redis history the bridge writes (alertstore.reader); staff only."""
