"""Deal registration, conflict rules (バッティング), direct-sales accounts and vendor leads."""
