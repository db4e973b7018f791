"""Tools around the running bot: evaluation, benchmarks, reports. They import the core, never the reverse."""
