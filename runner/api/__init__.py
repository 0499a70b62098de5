"""HTTP API of the runner (FastAPI): health, jobs, models; loopback only, token on every endpoint."""
