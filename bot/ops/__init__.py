"""Operations: logging, metrics and health endpoints, hot reload, the doctor."""
