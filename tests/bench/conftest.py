from tests.smtp import smtp_server, smtp_sink  # noqa: F401 - fixtures for the dispatch bench
