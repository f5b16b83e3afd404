"""Production operations: metrics, logs, rate limits."""
