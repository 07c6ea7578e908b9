"""SQM — the telecom service-quality platform (服务质量管控平台)."""

__version__ = "0.1.0"
