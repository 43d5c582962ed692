"""Analytics layer of 网格治理一屏统览: connection, filters, metrics and queries (no Streamlit)."""
