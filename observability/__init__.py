"""Telemetry for a Django service: OpenTelemetry, AWS X-Ray, CloudWatch Logs and Rollbar, each
switched on in settings. Knows nothing about Cruddur."""
