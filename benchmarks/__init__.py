"""trackdeck's benchmark suite (`make bench`): a generated fleet under real DNS latency, measured
against its physical bounds, the same engine at concurrency 1, and pydnsbl."""
