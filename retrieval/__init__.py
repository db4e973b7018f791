"""Finding the article that answers a question: normalization, BM25, dense vectors, fusion."""
