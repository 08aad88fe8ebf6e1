"""news-ingest: scraped news dumps -> clean, structured, normalised article records.

Data flows one way: sources -> parse -> normalise -> export.
"""

__version__ = "0.1.0"
