"""Events: document downloads, outbound links and custom events (never page views)."""
